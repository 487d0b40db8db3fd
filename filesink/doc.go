// Package filesink writes what the broker archives into durable files:
// one append-only file per destination (by default per equipment and
// host), a central log for records that have no equipment or whose
// destination cannot be used, and one JSON-lines file of performance
// samples per equipment.
//
// Every value that enters a path comes from the network and is checked:
// each rendered path component is 1–128 characters of [A-Za-z0-9._-] and
// not "." or "..", the path stays under the root, and no symbolic link
// is followed (openat2 with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS on Linux,
// a component-by-component walk elsewhere). A refused record goes to the
// central log with the reason; nothing is dropped.
//
// Records are batched per destination and written whole: a record is
// never split across two writes, so another writer appending to the same
// file (a second sink on a shared filesystem) cannot tear a line. A batch
// is written when the input goes idle, when it grows large, or after the
// flush interval. Records at or above the fsync level are on disk before
// the sink reads further input: one fsync per file covers all of them in
// a batch (group commit).
package filesink
