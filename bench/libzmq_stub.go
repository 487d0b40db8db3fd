//go:build nolibzmq

package main

import "errors"

func openLibZMQ(string) (link, error) {
	return nil, errors.New("built with -tags nolibzmq")
}
