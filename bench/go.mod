module github.com/logbus/logbus/bench

go 1.26.0

replace github.com/logbus/logbus => ../

require (
	github.com/go-zeromq/zmq4 v0.17.0
	github.com/logbus/logbus v0.0.0
	github.com/pebbe/zmq4 v1.4.0
)

require (
	github.com/go-zeromq/goczmq/v4 v4.2.2 // indirect
	golang.org/x/sync v0.23.0 // indirect
	golang.org/x/text v0.42.0 // indirect
)
