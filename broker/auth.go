package broker

import (
	"crypto/subtle"
	"errors"
	"net"

	"github.com/logbus/logbus/zmtp"
)

// errRefused is what a refused PLAIN login is told: no hint whether the
// name or the password was wrong.
var errRefused = errors.New("broker: unknown user or wrong password")

// plainUsers checks PLAIN logins against a fixed table, comparing in
// constant time so timing does not reveal a password.
func plainUsers(users map[string]string) zmtp.PlainAuthFunc {
	table := make(map[string][]byte, len(users))
	for u, p := range users {
		table[u] = []byte(p)
	}
	return func(username, password string, _ net.Addr) error {
		want, ok := table[username]
		if !ok {
			want = nil
		}
		if subtle.ConstantTimeCompare(want, []byte(password)) != 1 || !ok {
			return errRefused
		}
		return nil
	}
}
