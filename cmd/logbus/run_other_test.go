//go:build !unix

package main

import "os"

func notifyTerm() <-chan os.Signal { return make(chan os.Signal) }
