module github.com/sockvisor/sockvisor

go 1.26.0

require (
	github.com/fsnotify/fsnotify v1.10.1
	github.com/spf13/pflag v1.1.0
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.49.0
)

require (
	github.com/coreos/go-systemd/v22 v22.7.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)
