// Package defaults fills the unset fields of a daemon's configuration
// from its DefaultConfig, by one rule for every field.
package defaults

import "cmp"

// Fill sets *v to d when *v is unset: the empty string, or a number
// (count, size, duration) that is zero or negative, which no setting
// means.
func Fill[T cmp.Ordered](v *T, d T) {
	var zero T
	if *v <= zero { // for strings only "" is <= ""
		*v = d
	}
}
