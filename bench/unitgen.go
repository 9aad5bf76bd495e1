//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// unitSet describes generated socket units and their services.
type unitSet struct {
	dir     string   // where the unit files are
	sockets []string // the .socket files, in order
	listens []string // per socket (stream-only sets): its address as systemd-socket-activate -l takes it
}

// genVerifyUnits writes n varied socket units, each with the service it triggers, into dir:
// every Listen kind that needs no privilege, Accept=yes with templates, drop-ins, continuation
// lines, comments, and about one in twenty with a mistake systemd warns about.
func genVerifyUnits(dir string, n int) (unitSet, error) {
	set := unitSet{dir: dir}
	for i := range n {
		name := fmt.Sprintf("gen%04d", i)
		var sock, svc strings.Builder
		fmt.Fprintf(&sock, "# generated unit %d\n[Unit]\nDescription=generated socket %d\nDocumentation=man:sockvisor(1)\n\n[Socket]\n", i, i)
		switch i % 8 {
		case 0:
			fmt.Fprintf(&sock, "ListenStream=127.0.0.1:%d\n", 20000+i)
		case 1:
			fmt.Fprintf(&sock, "ListenStream=[::1]:%d\nBindIPv6Only=ipv6-only\n", 20000+i)
		case 2:
			fmt.Fprintf(&sock, "ListenStream=%s/%s.sock\nSocketMode=0660\nDirectoryMode=0750\nRemoveOnStop=yes\n", dir, name)
		case 3:
			fmt.Fprintf(&sock, "ListenDatagram=127.0.0.1:%d\nReceiveBuffer=1M\nSendBuffer=512K\n", 20000+i)
		case 4:
			fmt.Fprintf(&sock, "ListenStream=@sockvisor-bench-%s\nListenSequentialPacket=%s/%s.seq\n", name, dir, name)
		case 5:
			fmt.Fprintf(&sock, "ListenFIFO=%s/%s.fifo\nPipeSize=64K\n", dir, name)
		case 6:
			fmt.Fprintf(&sock, "ListenStream=%d\nAccept=yes\nMaxConnections=32\nMaxConnectionsPerSource=4\n", 20000+i)
		case 7:
			fmt.Fprintf(&sock, "ListenStream=127.0.0.1:%d \\\n  \nListenDatagram=%s/%s.dgram\nFileDescriptorName=fd%d\n", 20000+i, dir, name, i)
		}
		fmt.Fprintf(&sock, "Backlog=%d\nKeepAlive=%s\nKeepAliveTimeSec=%dmin\nNoDelay=yes\nTriggerLimitIntervalSec=%ds\nTriggerLimitBurst=%d\n",
			64+i%512, yesNo(i%2 == 0), 1+i%30, 1+i%5, 10+i%40)
		if i%20 == 19 {
			sock.WriteString("Backlog=lots\nListenNoSuchThing=1\n") // two warnings from systemd
		}
		sock.WriteString("\n[Install]\nWantedBy=sockets.target\n")
		svcName := name + ".service"
		if i%8 == 6 {
			svcName = name + "@.service"
			svc.WriteString("[Unit]\nDescription=per-connection instance\n\n[Service]\nExecStart=/bin/cat\nStandardInput=socket\nStandardOutput=socket\n")
		} else {
			fmt.Fprintf(&svc, "[Unit]\nDescription=generated service %d\n\n[Service]\nType=simple\nExecStart=/bin/sleep infinity\nEnvironment=N=%d\nTimeoutStopSec=%ds\n", i, i, 5+i%10)
		}
		path := filepath.Join(dir, name+".socket")
		if err := os.WriteFile(path, []byte(sock.String()), 0o644); err != nil {
			return set, err
		}
		if err := os.WriteFile(filepath.Join(dir, svcName), []byte(svc.String()), 0o644); err != nil {
			return set, err
		}
		if i%10 == 3 {
			dropin := filepath.Join(dir, name+".socket.d")
			if err := os.MkdirAll(dropin, 0o755); err != nil {
				return set, err
			}
			if err := os.WriteFile(filepath.Join(dropin, "override.conf"), []byte("[Socket]\nBacklog=4096\n"), 0o644); err != nil {
				return set, err
			}
		}
		set.sockets = append(set.sockets, path)
	}
	return set, nil
}

// genListenUnits writes n stream socket units that can all be opened at once on this machine
// (TCP on 127.0.0.1 and ::1 from basePort up, UNIX paths in dir, abstract names), with the
// options users set most, and a service for each.
func genListenUnits(dir string, n, basePort int) (unitSet, error) {
	set := unitSet{dir: dir}
	for i := range n {
		name := fmt.Sprintf("lsn%04d", i)
		var addr, opts string
		switch i % 4 {
		case 0:
			addr = fmt.Sprintf("127.0.0.1:%d", basePort+i)
			opts = "NoDelay=yes\nKeepAlive=yes\n"
		case 1:
			addr = fmt.Sprintf("[::1]:%d", basePort+i)
			opts = "BindIPv6Only=ipv6-only\nReusePort=yes\n"
		case 2:
			addr = fmt.Sprintf("%s/%s.sock", dir, name)
			opts = "SocketMode=0660\nRemoveOnStop=yes\n"
		case 3:
			addr = "@sockvisor-bench-" + name
			opts = "ReceiveBuffer=256K\n"
		}
		sock := fmt.Sprintf("[Socket]\nListenStream=%s\nBacklog=128\n%s", addr, opts)
		path := filepath.Join(dir, name+".socket")
		if err := os.WriteFile(path, []byte(sock), 0o644); err != nil {
			return set, err
		}
		svc := "[Service]\nExecStart=/bin/sleep infinity\n"
		if err := os.WriteFile(filepath.Join(dir, name+".service"), []byte(svc), 0o644); err != nil {
			return set, err
		}
		set.sockets = append(set.sockets, path)
		set.listens = append(set.listens, addr)
	}
	return set, nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
