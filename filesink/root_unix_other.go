//go:build unix && !linux

package filesink

func openat2Beneath(int, string, int, uint32) (int, bool, error) { return -1, false, nil }
