package main

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/supervisor"
)

func parseForTest(args ...string) (supervisor.ActivateOptions, int, bool, string) {
	var out, errb bytes.Buffer
	cio := commandIO{prog: "systemd-socket-activate", stdout: &out, stderr: &errb}
	o, code, done := parseActivate(cio, "systemd-socket-activate", args, []string{"PATH=/bin", "KEEP=k"})
	return o, code, done, out.String() + errb.String()
}

func TestParseActivate(t *testing.T) {
	o, _, done, msg := parseForTest("-l", "80", "--listen-datagram=53", "--seqpacket", "-E", "X=1", "-EKEEP", "--fdname=a::b", "--l=81", "--", "cmd", "-l", "x")
	if done {
		t.Fatalf("done: %s", msg)
	}
	want := []supervisor.ActivateListen{{Address: "80"}, {Address: "53", Type: unix.SOCK_DGRAM}, {Address: "81"}}
	if !reflect.DeepEqual(o.Listen, want) || o.SocketType != unix.SOCK_SEQPACKET || o.Accept ||
		!reflect.DeepEqual(o.SetEnv, []string{"X=1", "KEEP=k"}) || !reflect.DeepEqual(o.FDNames, []string{"a", "b"}) ||
		!reflect.DeepEqual(o.Argv, []string{"cmd", "-l", "x"}) {
		t.Errorf("parsed %+v", o)
	}
	// Combined short options, the last one taking the rest as its argument.
	o, _, _, _ = parseForTest("-aEX=2", "-l80", "cmd")
	if !o.Accept || !reflect.DeepEqual(o.SetEnv, []string{"X=2"}) || !reflect.DeepEqual(o.Listen, []supervisor.ActivateListen{{Address: "80"}}) {
		t.Errorf("parsed %+v", o)
	}
	// Options stop at the first non-option ("+" in getopt).
	o, _, _, _ = parseForTest("-l", "80", "cmd", "-a")
	if o.Accept || !reflect.DeepEqual(o.Argv, []string{"cmd", "-a"}) {
		t.Errorf("parsed %+v", o)
	}
	// An empty --fdname is one empty name; an invalid one only warns.
	o, _, _, msg = parseForTest("--fdname=", "--fdname=bad\tname", "-l", "1", "c")
	if !reflect.DeepEqual(o.FDNames, []string{"", "bad\tname"}) || !strings.Contains(msg, `File descriptor name "bad\tname" is not valid.`) {
		t.Errorf("fdnames %q, messages %q", o.FDNames, msg)
	}
	for args, want := range map[string]string{
		"--listen-x=1 c":   "unrecognized option '--listen-x=1'",
		"--listen-d=1 c":   "", // unambiguous prefix of --listen-datagram
		"--now --accept c": "--now cannot be used with --accept.",
		"-h":               "Listen on sockets and launch child on connection.",
	} {
		_, _, _, msg := parseForTest(strings.Fields(args)...)
		if !strings.Contains(msg, want) {
			t.Errorf("%s: %q lacks %q", args, msg, want)
		}
	}
}

func FuzzParseActivate(f *testing.F) {
	f.Add("-l 80 -d -a -E X=1 --fdname=a:b -- cat")
	f.Add("--l --list= --listen-datagram -ad -E -- x")
	f.Fuzz(func(t *testing.T, line string) {
		o, code, done, _ := parseForTest(strings.Fields(line)...)
		if done && code != 0 && code != 1 {
			t.Fatalf("exit code %d", code)
		}
		if !done && len(o.Argv) == 0 {
			t.Fatal("accepted without a command")
		}
	})
}
