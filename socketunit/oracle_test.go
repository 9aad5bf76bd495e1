package socketunit

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// analyze runs systemd-analyze verify on dir/name and returns its findings, normalised to
// "NAME:LINE: message" / "NAME: message" with the summary lines dropped.
func analyze(t *testing.T, bin, dir, name string) []string {
	t.Helper()
	cmd := exec.Command(bin, "verify", "--man=no", "./"+name)
	cmd.Dir = dir
	out, _ := cmd.CombinedOutput() // the exit status is not what is compared
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		switch {
		case l == "", strings.HasPrefix(l, "Unit "), strings.HasPrefix(l, "Accepting user/group name"):
			continue // summaries, and a warning 252 prints without a location
		case strings.HasPrefix(l, dir+"/"):
			l = strings.TrimPrefix(l, dir+"/")
		}
		lines = append(lines, l)
	}
	return lines
}

// ours returns our findings for dir/name in the same form, leaving out what systemd-analyze does
// not print: sockvisor's own findings, notices, the location-less user name warning and the
// line-length refusal (252 reports only "failed to load properly").
func ours(t *testing.T, dir, name string) []string {
	t.Helper()
	res := load(t, filepath.Join(dir, name), Options{SearchPath: []string{}})
	var lines []string
	for _, d := range res.Diagnostics {
		if k := lookupKey("Socket", d.Key); d.Own && k != nil && k.Since != "" && d.Severity == SeverityNotice {
			// Keys newer than 252: the same place where 252 warns that it does not know them.
			d = Diagnostic{Location: d.Location, Severity: SeverityWarning, Message: "Unknown key '" + d.Key + "' in section [Socket], ignoring."}
		}
		if d.Own || d.Severity == SeverityNotice || strings.Contains(d.Message, "failed to load properly") || strings.HasPrefix(d.Message, "Accepting user/group name") ||
			strings.Contains(d.Message, "Line too long") || strings.Contains(d.Message, "line too long") {
			continue
		}
		d.File = strings.TrimPrefix(d.File, dir+"/")
		lines = append(lines, d.String())
	}
	return lines
}

// TestAgainstSystemdAnalyze compares findings with systemd 252 on units that exercise the
// tokenizer, the table's messages and the load checks.
func TestAgainstSystemdAnalyze(t *testing.T) {
	bin, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("skipping: needs systemd-analyze (systemd 252)")
	}
	cases := map[string]string{
		"grammar": "Stray=x\n[Socket]\nListenStream=1234\nFoo=bar\n[Bogus]\nx=y\n[Socket]\nnoeq\n=val\nBacklog=\n" +
			"Description=a \\\n# c\n  b\n[X-Sec]\nA=1\n[Socket]\nX-Foo=1\nBacklog=5 \\\n\\\\\n",
		"eof continuation": "[Socket]\nListenStream=1234\nBacklog=abc \\\n",
		"bom and crlf":     "\xef\xbb\xbf# comment\r\n[Socket]\r\nListenStream=1234\r\n\xef\xbb\xbfBacklog=x\r\n",
		"cr and nul":       "[Socket]\rListenStream=1234\rBacklog=x\x00junk\nAccept=m\n\rMark=q\x00\nIPTTL=z\n",
		"utf8":             "[Socket]\nListenStream=1234\nBacklog=\xff\nAccept=maybe\n",
		"section garbage":  "[Socket] # c\nListenStream=1234\n",
		"values": "[Socket]\nListenStream=1234\nSocketProtocol=tcp\nBindIPv6Only=maybe\nBacklog=x\nBindToDevice=all\nTimeoutSec=abc\n" +
			"SocketMode=0999\nDirectoryMode=x\nAccept=maybe\nFlushPending=x\nMaxConnections=-1\nKeepAliveTimeSec=x\n" +
			"KeepAliveIntervalSec=-1\nPriority=x\nReceiveBuffer=x\nSendBuffer=16E\nIPTOS=300\nIPTTL=x\nMark=x\nPipeSize=x\n" +
			"Timestamping=x\nTCPCongestion=\nMessageQueueMaxMessages=x\nMessageQueueMessageSize=99999999999999999999999\n" +
			"Symlinks=rel /abs\nFileDescriptorName=a:b\nService=x.target\nService=\nTriggerLimitBurst=-1\nSELinuxContextFromNet=x\n" +
			"ListenFIFO=/dev/../x\nListenSpecial=rel\nListenUSBFunction=rel\nListenNetlink=foo\nListenNetlink=route 99999999999\n" +
			"ListenSequentialPacket=127.0.0.1:5000\nListenStream=%Z\nListenStream=[::1]:0\nListenStream=1.2.3.4:99999\n" +
			"FileDescriptorName=" + strings.Repeat("a", 256) + "\nSocketUser=bad name!\nSocketUser=nobody\n",
		"newer keys": "[Socket]\nListenStream=1234\nPollLimitIntervalSec=1s\nPollLimitBurst=3\nPassFileDescriptorsToExec=yes\n" +
			"PassPIDFD=yes\nAcceptFileDescriptors=no\nDeferTrigger=yes\nDeferTriggerMaxSec=3\n",
		"exec and unit": "[Unit]\nDocumentation=notaurl man:foo(1)\nAfter=foo.service bar\nFoo=bar\n[Install]\nWantedBy=sockets.target\nBogus=1\n" +
			"[Socket]\nListenStream=1234\nUser=nobody\nUMask=999\nNice=99\nKillMode=bogus\nKillSignal=SIGFOO\nSendSIGKILL=x\n" +
			"LimitNOFILE=abc\nStandardOutput=bogus\nEnvironment=A=b \"C=d e\"\n",
		"exec fatal":   "[Socket]\nListenStream=1234\nExecStartPre=relative/cmd\nBacklog=x\n",
		"exec argv0":   "[Socket]\nListenStream=1234\nExecStopPost=@/bin/true\n",
		"exec ignored": "[Socket]\nListenStream=1234\nExecStartPre=-relative/cmd\nExecStartPost=/bin/echo \"a b\" ; /bin/true\nBacklog=x\n",
		"not applied, checked": "[Socket]\nListenStream=1234\nCPUShares=5\nStartupCPUShares=5\nMemoryLimit=1G\nBlockIOAccounting=yes\n" +
			"BlockIOWeight=10\nBlockIODeviceWeight=/dev/sda 10\nCapabilities=x\nNetClass=1\nPrivateTmp=x\nLimitNPROC=abc\nLimitNPROC=5:4\n" +
			"LimitCORE=1G\nTimeoutCleanSec=x\nLogRateLimitBurst=x\nRuntimeDirectoryMode=999\nCPUAccounting=\nDynamicUser=yes\nRemoveIPC=maybe\n",
		"unit section": "[Unit]\nDescription=%Z\nAfter=\nAfter=%Z.service\nRequires=foo.socket.bad\nRequiresMountsFor=rel\n" +
			"ConditionPathExists=rel\nStartLimitBurst=x\nStartLimitIntervalSec=x\nJobTimeoutSec=x\nSourcePath=rel\n" +
			"ConditionPathExists=|!rel\nConditionPathExists=!/x/../y\nAssertFileNotEmpty=| rel2\nConditionPathExists=\n" +
			"[Install]\nWantedBy=%Z\nAlias=foo\nAlso=bar\nDefaultInstance=%Z\n[Socket]\nListenStream=1234\n",
		"limits and slices": "[Socket]\nListenStream=1\nLimitCORE=1G\nLimitCORE=x\nLimitCPU=5s:10\nLimitCPU=x\nLimitNICE=+5\nLimitNICE=-30\n" +
			"LimitNICE=41\nLimitRTTIME=5\nLimitAS=infinity:1K\nLimitMEMLOCK=2K:1K\nCPUShares=1\nCPUShares=x\nMemoryLimit=x\nSlice=a b\nSlice=foo.service\n",
		"signals": "[Socket]\nListenStream=1\nKillSignal=\nFinalKillSignal=\nWatchdogSignal=\nRestartKillSignal=\nKillSignal=0x10\n" +
			"KillSignal=SIGRTMIN+3\nKillSignal=RTMIN+40\nKillSignal=65\nDynamicUser=rel\nBacklog=1\n",
		"bad section characters": "[So'cket]\nListenStream=1\n[Socket]\nListenStream=2\n",
		"fatal user":             "[Socket]\nListenStream=1234\nSocketUser=a:b\nBacklog=x\n",
		"fatal workdir":          "[Socket]\nListenStream=1234\nWorkingDirectory=rel\nBacklog=x\n",
		"no listen":              "[Socket]\nBacklog=5\n",
		"reset listen":           "[Socket]\nListenStream=1\nListenDatagram=2\nListenStream=\n",
		"accept non-accepting":   "[Socket]\nListenDatagram=1234\nAccept=yes\n",
		"accept max zero":        "[Socket]\nListenStream=1234\nAccept=yes\nMaxConnections=0\n",
		"accept service":         "[Socket]\nListenStream=1234\nAccept=yes\nService=x.service\n",
		"symlinks":               "[Socket]\nListenStream=/run/a\nListenStream=/run/b\nSymlinks=/run/c\n",
		"max zero no accept":     "[Socket]\nListenStream=1234\nMaxConnections=0\n",
		"long line":              "[Socket]\nListenStream=1234\nDescription=" + strings.Repeat("a", maxLineLen) + "\n",
	}
	for name, unit := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := writeFiles(t, map[string]string{"x.socket": unit, "x.service": trueService, "x@.service": trueService})
			want := analyze(t, bin, dir, "x.socket")
			got := ours(t, dir, "x.socket")
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("sockvisor:\n%s\nsystemd-analyze:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
	t.Run("missing service", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{"x.socket": "[Socket]\nListenStream=1\n"})
		if got, want := ours(t, dir, "x.socket"), analyze(t, bin, dir, "x.socket"); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("sockvisor %q, systemd-analyze %q", got, want)
		}
	})
}

// TestServicesAgainstSystemdAnalyze compares service-unit findings with systemd 252.
func TestServicesAgainstSystemdAnalyze(t *testing.T) {
	bin, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("skipping: needs systemd-analyze (systemd 252)")
	}
	cases := map[string]string{
		"values": "[Service]\nType=bogus\nRestart=sometimes\nRestartSec=x\nTimeoutStartSec=x\nTimeoutStopSec=-1\nTimeoutSec=abc\n" +
			"RemainAfterExit=x\nSockets=foo.service bar.socket\nUSBFunctionDescriptors=rel\nExecStart=/bin/true\nExecReload=relative/x\n",
		"two ExecStart":                "[Service]\nExecStart=/bin/true\nExecStart=/bin/false\n",
		"oneshot always":               "[Service]\nType=oneshot\nRestart=always\nExecStart=/bin/true\n",
		"ExecStop only":                "[Service]\nType=simple\nExecStop=/bin/true\n",
		"nothing":                      "[Service]\nType=oneshot\nRemainAfterExit=yes\n",
		"socket section":               "[Socket]\nListenStream=1\n[Service]\nExecStart=/bin/true\nListenStream=2\n",
		"exec block":                   "[Service]\nExecStart=/bin/true\nUser=nobody\nNice=-40\nKillSignal=RTMIN+3\nKillSignal=0\nStandardInput=file:rel\n",
		"notify-reload (252 lacks it)": "[Service]\nType=notify-reload\nExecStart=/bin/true\n",
	}
	for name, unit := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := writeFiles(t, map[string]string{"x.service": unit})
			want := analyze(t, bin, dir, "x.service")
			diags, err := Verify(filepath.Join(dir, "x.service"), Options{SearchPath: []string{}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range diags {
				if !d.Own && d.Severity != SeverityNotice {
					d.File = strings.TrimPrefix(d.File, dir+"/")
					got = append(got, d.String())
				}
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("sockvisor:\n%s\nsystemd-analyze:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestRealUnitsAgainstSystemdAnalyze compares findings on the socket units installed on this
// machine (the packages' own units, found on the default search path as systemd finds them).
func TestRealUnitsAgainstSystemdAnalyze(t *testing.T) {
	bin, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("skipping: needs systemd-analyze (systemd 252)")
	}
	units, _ := filepath.Glob("/lib/systemd/system/*.socket")
	if len(units) == 0 {
		t.Skip("skipping: no socket units in /lib/systemd/system")
	}
	for _, path := range units {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Dir(path)
			var want []string
			for _, l := range analyze(t, bin, dir, name) {
				if strings.HasPrefix(l, name+":") { // only findings about this unit file
					want = append(want, l)
				}
			}
			res, err := LoadSocket(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range res.Diagnostics {
				if d.Own || d.Severity == SeverityNotice || d.File != path {
					continue
				}
				d.File = name
				got = append(got, d.String())
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("sockvisor:\n%s\nsystemd-analyze:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}
