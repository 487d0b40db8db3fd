module github.com/logbus/logbus

go 1.26
