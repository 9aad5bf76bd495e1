package socketunit

import (
	"strings"
	"testing"
)

// FuzzParseUnit runs arbitrary bytes through the whole socket-unit parser: the tokenizer, every
// key's value parser, the defaults and the load checks. Nothing may panic, and every finding
// must carry the file name.
func FuzzParseUnit(f *testing.F) {
	for _, s := range []string{
		"[Socket]\nListenStream=127.0.0.1:80\nAccept=yes\nMaxConnections=0\n",
		"[Socket]\nListenStream=/run/%n.sock\nSymlinks=/run/a \"/run/b c\"\nFileDescriptorName=%p\nService=%i.service\n",
		"[Socket]\nListenNetlink=kobject-uevent 1\nListenFIFO=/var/run/f\nExecStartPre=-/bin/true \"a b\" ; /bin/echo %H\n",
		"[Socket]\nIPTOS=low-delay\nTimestamping=µs\nBindIPv6Only=1\nSocketUser=a:b\nUser=nobody\nEnvironment=A=1 \"B=\\x41\"\n",
		"[Unit]\nAfter=a.service b\nDocumentation=man:x(1) http:\n[Install]\nWantedBy=sockets.target\n[Socket]\nListenStream=\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := newSocket("fuzz@inst.socket", "/fuzz/fuzz@.socket")
		p := &unitParser{name: s.Name, fragment: s.Path, sock: s, exec: &s.Exec, kill: &s.Kill, unit: &s.Unit, install: &s.Install}
		if p.parseFile(s.Path, data, socketSections) {
			addSocketExtras(s)
			p.diags = append(p.diags, verifySocket(s, p.pam)...)
		}
		for _, d := range p.diags {
			if d.File != s.Path || d.Message == "" || strings.HasPrefix(d.String(), ":") {
				t.Fatalf("bad finding %+v", d)
			}
		}
		for _, l := range s.Listen {
			if l.Source.Line < 1 {
				t.Fatalf("listen entry without a line: %+v", l)
			}
		}
	})
}
