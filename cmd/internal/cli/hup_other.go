//go:build !unix

package cli

// OnReopen does nothing where there is no SIGHUP.
func OnReopen(func()) (stop func()) { return func() {} }
