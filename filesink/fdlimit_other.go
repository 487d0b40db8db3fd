//go:build !unix

package filesink

// fdLimit: no descriptor limit to fit under on this platform.
func fdLimit() int { return 0 }

// outOfDescriptors: not a condition this platform reports by errno.
func outOfDescriptors(error) bool { return false }
