package main

import (
	"fmt"
	"strings"
)

// variant is one generated broken (or borderline) unit: its name (without .socket) and text.
type variant struct {
	name string
	body string
}

// base is the start of most variants: a valid socket whose line 3 onwards is the variant.
const base = "[Socket]\nListenStream=/run/golden.sk\n"

// keyValues lists bad (and a few borderline valid) values per typed [Socket] key family.
var keyValues = []struct {
	keys   []string
	values []string
}{
	{[]string{"Accept", "FlushPending", "Writable", "KeepAlive", "NoDelay", "FreeBind", "Transparent",
		"Broadcast", "PassCredentials", "PassSecurity", "PassPacketInfo", "ReusePort", "RemoveOnStop",
		"SELinuxContextFromNet"}, []string{"maybe", "", "2", "yes no"}},
	{[]string{"Accept", "NoDelay"}, []string{"Yes", "on", "0"}},
	{[]string{"Backlog", "MaxConnections", "MaxConnectionsPerSource", "KeepAliveProbes", "TriggerLimitBurst"},
		[]string{"-1", "abc", "", "4294967296", "1.5", "08", "0x", "010", "0x10", "0b11"}},
	{[]string{"Priority", "IPTTL", "Mark"}, []string{"abc", "", "2147483648", "0x", "-0b1", "-1", "0x10"}},
	{[]string{"ReceiveBuffer", "SendBuffer", "PipeSize"}, []string{"1Q", "16E", "-1", "", "1K 1G", ".5K", "1KiB", "1.5K", "1G 512M"}},
	{[]string{"KeepAliveTimeSec", "KeepAliveIntervalSec", "DeferAcceptSec", "TriggerLimitIntervalSec", "TimeoutSec"},
		[]string{"-1", "abc", "", "1e3", "3.", "5 mins", "12.34.56", "1min 30s", "infinity", "0.5"}},
	{[]string{"SocketMode", "DirectoryMode"}, []string{"0999", "+0644", "10000", "", "0o644", "u+rw", "0600", "7777"}},
	{[]string{"MessageQueueMaxMessages", "MessageQueueMessageSize"}, []string{"abc", "", "99999999999999999999", "1.5"}},
	{[]string{"BindIPv6Only"}, []string{"maybe", "", "true", "both", "ipv6-only", "Default"}},
	{[]string{"IPTOS"}, []string{"300", "", "fast", "-1", "low-delay", "0x10", "255"}},
	{[]string{"Timestamping"}, []string{"maybe", "", "\u00b5s", "\u03bcs", "usec", "nsec", "yes", "NS"}},
	{[]string{"SocketProtocol"}, []string{"tcp", "mptcp", "", "udplite", "sctp", "17", "136", "SCTP"}},
	{[]string{"BindToDevice"}, []string{"all", "", "*", "toolongnameXXXXXXX", "a/b", "99", "lo", "default", "a:b"}},
	{[]string{"FileDescriptorName"}, []string{"a:b", strings.Repeat("a", 256), strings.Repeat("b", 255), "", "%Z", "with space", "%n", "tab\there"}},
	{[]string{"Service"}, []string{"foo.target", "", "other.service", "%i.service", "%I.service", "x@.service", "bad name.service"}},
	{[]string{"TCPCongestion"}, []string{"", "cubic"}},
	{[]string{"Symlinks"}, []string{"relative", "/a /b", "", "/a/../b", "\"/unbalanced", "/ok rel /ok2", "/run/%Z", "/var/run/x"}},
	{[]string{"SocketUser", "SocketGroup"}, []string{"bad name!", "a:b", "65535", "", "nobody", "%Z", "0", " lead"}},
}

// listenValues are the address forms per Listen*= key.
var listenValues = []struct {
	key    string
	values []string
}{
	{"ListenStream", []string{"junk", "192.168.1.1", ".168.1.1", "989.168.1.1", "192.168.1.1:65536", "192.168.1.1:0",
		"0", "65536", "65535", "[::1]", "[::1]8888", "::1", "[::1]:0", "[::1]:65536", "[a:b:1]:8888", "[::1]%lo:1234",
		"[::1]%lo:0", "[::1]%lo", "[::1]%lo%lo:1234", "[::1]% lo:1234", "8888",
		"[2001:0db8:0000:85a3:0000:0000:ac1f:8001]:8888", "[::1]:8888", "[::1]:1234%lo", "[::1]:0%lo",
		"[::1]:1234%lo%lo", "[::1]:1234%xxxxasdf", "192.168.1.254:8888", "/foo/bar", "/", "@abstract",
		"@" + strings.Repeat("a", 107), "@" + strings.Repeat("a", 106), "vsock:2:1234", "vsock::1234",
		"vsock:2:1234x", "vsock:2x:1234", "vsock:2", "127.0.0.1:0x4653", "127.0.0.1:010", "127.0.0.1:0b11",
		"127.0.0.1:+80", "127.0.0.1:80%lo", "localhost:80", "[::ffff:127.0.0.1]:18011", "1.2.3.4:99999",
		"01.2.3.4:18300", "127.0.0.01:18301", "vsock-stream:1:2", "vsock:34843013755:210", "/" + strings.Repeat("p", 107),
		"/" + strings.Repeat("p", 106), "//", "/a/../b", "/var/run/golden.sk", "@", "1.2.3.4:80#x",
		"[fe80::1]:80%%lo", "%Z", "/run/%n.sk", "[::1]:80%1", "vsock:host:2"}},
	{"ListenDatagram", []string{"junk", "[::1]:0", "1.2.3.4:99999", "127.0.0.1:5000", "/run/d.sk", "@dgram",
		"vsock-dgram:1:2", "vsock:2:3", "65536", "[::1]:1234%xxxxasdf"}},
	{"ListenSequentialPacket", []string{"127.0.0.1:5000", "/run/s.sk", "@seq", "vsock:2:1", "[::1]:80", "junk"}},
	{"ListenNetlink", []string{"junk", "route", "route 10", "kobject-uevent -1", "\xff", "nosuch 1",
		"route 99999999999", "audit 1 2", "kobject-uevent 1", "22 1", "route 0x10"}},
	{"ListenFIFO", []string{"relative/path", "/dev/../x", "/var/run/x.fifo", "/run/x.fifo", "/run//x/./y.fifo",
		"/" + strings.Repeat("f", 300), "/run/\xff.fifo"}},
	{"ListenSpecial", []string{"rel", "/dev/../proc/x", "/dev/kmsg", "/proc/kmsg", "/var/run/special"}},
	{"ListenMessageQueue", []string{"noslash", "/mq", "/a/../b"}},
	{"ListenUSBFunction", []string{"rel", "/dev/ffs", "/run/../ffs"}},
}

// structural are variants of the unit-file grammar, resets, conflicts and refusals.
var structural = []variant{
	// Resets.
	{"reset-listen-only", "[Socket]\nListenStream=/run/a.sk\nListenStream=\n"},
	{"reset-listen-then-fifo", "[Socket]\nListenStream=/run/a.sk\nListenStream=\nListenFIFO=/run/f.fifo\n"},
	{"reset-symlinks", base + "Symlinks=/run/l1\nSymlinks=\n"},
	{"reset-exec", base + "ExecStartPre=/bin/true\nExecStartPre=\nExecStartPost=relative/x\nExecStartPost=\n"},
	{"reset-fdname", base + "FileDescriptorName=x\nFileDescriptorName=\n"},
	{"reset-bindtodevice", base + "BindToDevice=eth0\nBindToDevice=\n"},
	{"reset-iptos", base + "IPTOS=low-delay\nIPTOS=\n"},
	{"reset-socketuser", base + "SocketUser=nobody\nSocketUser=\nSocketGroup=nogroup\nSocketGroup=\n"},
	{"reset-service", base + "Service=x.service\nService=\n"},
	{"reset-environment", base + "Environment=A=1\nEnvironment=\nEnvironment=B=2\n"},
	// Continuations.
	{"cont-bad-value", base + "Backlog=abc \\\n def\n"},
	{"cont-comment-inside", base + "Backlog=1\\\n# comment\n2\n"},
	{"cont-address", base + "ListenStream=/run/a \\\n/run/b\n"},
	{"cont-escaped-backslash", base + "Backlog=5 \\\\\nAccept=maybe\n"},
	{"cont-eof", base + "Backlog=abc \\"},
	{"cont-three-lines", base + "Accept=\\\n\\\nmaybe\n"},
	{"cont-exec", base + "ExecStartPre=/bin/echo a \\\n  b \\\n  \"c\n"},
	{"cont-semicolon-comment", base + "Backlog=1\\\n; comment\nabc\n"},
	// Conflicts and load refusals.
	{"accept-datagram", base + "ListenDatagram=127.0.0.1:5000\nAccept=yes\n"},
	{"accept-netlink", base + "ListenNetlink=route 1\nAccept=yes\n"},
	{"accept-fifo", base + "ListenFIFO=/run/golden.fifo\nAccept=yes\n"},
	{"accept-special", base + "ListenSpecial=/dev/kmsg\nAccept=yes\n"},
	{"accept-mqueue", base + "ListenMessageQueue=/golden\nAccept=yes\n"},
	{"accept-service", base + "Accept=yes\nService=other.service\n"},
	{"accept-seqpacket", "[Socket]\nListenSequentialPacket=/run/seq.sk\nAccept=yes\n"},
	{"accept-maxconn-0", base + "Accept=yes\nMaxConnections=0\n"},
	{"noaccept-maxconn-0", base + "MaxConnections=0\n"},
	{"symlinks-two-nodes", base + "ListenFIFO=/run/golden.fifo\nSymlinks=/run/l1\n"},
	{"symlinks-no-node", "[Socket]\nListenStream=127.0.0.1:9\nSymlinks=/run/l1\n"},
	{"symlinks-one-node", base + "Symlinks=/run/l1 /run/l2\n"},
	{"no-listen", "[Socket]\nAccept=no\n"},
	{"no-listen-all-bad", "[Socket]\nListenStream=junk\nListenFIFO=rel\n"},
	{"empty-file", ""},
	{"only-comments", "# nothing\n; here\n"},
	{"exec-fatal", base + "ExecStartPre=relative/cmd\nBacklog=x\n"},
	{"user-fatal", base + "SocketUser=a:b\nBacklog=x\n"},
	{"pam-killmode", base + "PAMName=login\nKillMode=process\n"},
	// Sections and lines.
	{"section-unknown", base + "[Foo]\nBar=1\n"},
	{"section-x", base + "[X-Foo]\nBar=1\n"},
	{"section-outside", "Backlog=5\n" + base},
	{"section-unclosed", "[Socket\nListenStream=/run/golden.sk\n"},
	{"section-trailing", "[Socket] junk\nListenStream=/run/golden.sk\n"},
	{"section-trailing-comment", "[Socket] # comment\nListenStream=/run/golden.sk\n"},
	{"section-empty-name", "[]\n" + base},
	{"section-lowercase", "[socket]\nListenStream=/run/golden.sk\n"},
	{"section-twice", base + "[Unit]\nDescription=x\n[Socket]\nBacklog=abc\n"},
	{"section-service", base + "[Service]\nExecStart=/bin/true\n"},
	{"key-in-unit", "[Unit]\nListenStream=/run/golden.sk\n" + base},
	{"key-in-install", base + "[Install]\nBacklog=5\n"},
	{"missing-equals", base + "ListenStream\n"},
	{"missing-equals-space", base + "Backlog 5\n"},
	{"missing-key", base + "=value\n"},
	{"missing-key-space", base + " = x\n"},
	{"utf8-value", base + "Backlog=\xff\n"},
	{"utf8-key", base + "\xffKey=1\n"},
	{"utf8-address", base + "ListenStream=/run/\xff.sk\n"},
	{"utf8-description", "[Unit]\nDescription=caf\xe9\n" + base},
	{"bom-crlf", "\xef\xbb\xbf[Socket]\r\nListenStream=/run/golden.sk\r\nBacklog=x\r\n"},
	{"nul-byte", base + "Backlog=1\x002\n"},
	{"long-value", base + "Description=" + strings.Repeat("d", 70000) + "\nBacklog=x\n"},
	{"long-line-over-1mib", base + "Description=" + strings.Repeat("L", 1<<20+10) + "\nBacklog=x\n"},
	{"unknown-key", base + "Foo=bar\n"},
	{"unknown-key-x", base + "X-Foo=bar\n"},
	{"unknown-key-case", base + "listenstream=/run/x.sk\nbacklog=5\n"},
	{"newer-polllimit", base + "PollLimitIntervalSec=1s\nPollLimitBurst=3\n"},
	{"newer-passfds", base + "PassFileDescriptorsToExec=yes\n"},
	{"newer-passpidfd", base + "PassPIDFD=yes\nAcceptFileDescriptors=no\n"},
	{"newer-defer", base + "DeferTrigger=yes\nDeferTriggerMaxSec=3\n"},
	// Specifiers.
	{"spec-unknown-address", base + "ListenStream=/run/%Z.sk\n"},
	{"spec-percent-n-in-scope", base + "ListenStream=[fe80::1]:80%nosuchdev\n"},
	{"spec-bomb-address", base + "ListenStream=vsock:" + strings.Repeat("%H", 100000) + "\n"},
	{"spec-bomb-fdname", base + "FileDescriptorName=" + strings.Repeat("%H", 1000) + "\n"},
	{"spec-deprecated", base + "Symlinks=/run/%c\n"},
	{"spec-user", base + "SocketUser=%Z\n"},
	{"spec-trailing-percent", base + "ListenStream=/run/x%\n"},
	{"spec-double-percent", base + "ListenStream=/run/100%%.sk\n"},
	// [Unit] and [Install].
	{"unit-documentation", "[Unit]\nDocumentation=notaurl man:foo(1) https://ok\n" + base},
	{"unit-deps", "[Unit]\nAfter=foo.service bar\nBefore=%Z.service\n" + base},
	{"unit-requires-missing", "[Unit]\nRequires=golden-nonexistent.service\n" + base},
	{"unit-defaultdeps", "[Unit]\nDefaultDependencies=maybe\nStopWhenUnneeded=x\n" + base},
	{"unit-unknown-key", "[Unit]\nFoo=bar\n" + base},
	{"install-wantedby", base + "[Install]\nWantedBy=sockets.target bad\nAlias=bad\nAlso=x.socket\n"},
	{"install-unknown", base + "[Install]\nBogus=1\n"},
}

// execLines are Exec*= values, each written into ExecStartPre= of its own unit.
var execLines = []string{
	"-relative/cmd", "relative/cmd", `-/bin/echo "unbalanced`, `-/bin/echo \q x`, "-/bin/echo a ; -/usr/ ; /bin/true",
	"-@", `-/bin/e"cho`, `-"/bin/e\\cho"`, "-/bin/echo %Z", "-/bin/%Z", `-true \; ; -x/`, "-@/bin/echo",
	"-/a/../b", "-!!!/bin/true", "-+!/bin/true", `-/bin/x\x00`, `-/bin/x\x01`, "/bin/true ; ;", "/bin/echo ok",
	"@/bin/echo", "!!/bin/true", ":/bin/echo $X", "/bin/echo \"a b\" 'c d' \\x41", "-/" + strings.Repeat("a", 256),
	"true", ";", "- /bin/true",
}

// execContextValues are exec, kill and resource-control keys systemd accepts in [Socket].
var execContextValues = []struct{ key, value string }{
	{"User", "a:b"}, {"User", "bad name!"}, {"User", "nobody"}, {"Group", ""}, {"UMask", "999"}, {"UMask", "0o22"},
	{"Nice", "99"}, {"Nice", "-21"}, {"Nice", "x"}, {"KillMode", "bogus"}, {"KillSignal", "SIGFOO"}, {"KillSignal", "0"},
	{"SendSIGKILL", "x"}, {"LimitNOFILE", "abc"}, {"LimitNOFILE", "10:5"}, {"LimitNOFILE", "infinity"},
	{"StandardOutput", "bogus"}, {"StandardInput", "socket"}, {"StandardError", "file:rel"}, {"Environment", "\"A=b"},
	{"Environment", "A"}, {"Environment", "A=b \"C=d e\""}, {"EnvironmentFile", "rel"}, {"EnvironmentFile", "-/etc/x"},
	{"WorkingDirectory", "rel"}, {"WorkingDirectory", "~"}, {"IOSchedulingClass", "531473"}, {"PassEnvironment", "A=b"},
	{"UnsetEnvironment", ""}, {"SupplementaryGroups", "a:b"}, {"CPUQuota", "x"}, {"MemoryMax", "x"},
	{"Slice", "foo.service"}, {"PrivateTmp", "maybe"}, {"ProtectSystem", "bogus"}, {"RuntimeDirectory", "../x"},
}

// variants returns every generated unit.
func variants() []variant {
	var out []variant
	seen := map[string]int{}
	add := func(name, body string) {
		seen[name]++
		out = append(out, variant{fmt.Sprintf("%s-%02d", name, seen[name]), body})
	}
	for _, kv := range keyValues {
		for _, k := range kv.keys {
			for _, v := range kv.values {
				add(kebab(k), base+k+"="+v+"\n")
			}
		}
	}
	for _, lv := range listenValues {
		for _, v := range lv.values {
			add(kebab(lv.key), base+lv.key+"="+v+"\n")
		}
	}
	for _, s := range structural {
		add(s.name, s.body)
	}
	for _, l := range execLines {
		add("exec", base+"ExecStartPre="+l+"\n")
	}
	for _, kv := range execContextValues {
		add("ctx-"+kebab(kv.key), base+kv.key+"="+kv.value+"\n")
	}
	return out
}

// kebab turns "ListenStream" into "listen-stream".
func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
