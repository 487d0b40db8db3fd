// Package reliability holds the end-to-end reliability suite: real broker
// and file sink processes are stopped, killed and restarted under load,
// and every test checks counts (records delivered, lost and reported as
// gaps), not just survival. It has no code of its own.
package reliability
