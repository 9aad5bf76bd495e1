package socketunit

import "strings"

// serviceKeys are the [Service] keys socket activation needs.
func serviceKeys() []*Key {
	exec := func(name, doc string, f func(s *Service) *[]ExecCommand) *Key {
		return &Key{Name: name, Sections: SectionService, Value: "command line", Resets: true, Repeats: true, Applied: true,
			Doc: doc, apply: execValue(onService(f))}
	}
	return []*Key{
		{Name: "Type", Sections: SectionService, Value: "simple|exec|forking|oneshot|notify|notify-reload|idle|dbus", Default: "simple", Applied: true,
			Doc: "how start-up completion is detected", apply: enumValue([]string{"simple", "exec", "forking", "oneshot", "notify", "idle", "dbus"},
				"Failed to parse service type", onService(func(s *Service) *string { return &s.Type }))},
		exec("ExecStartPre", "commands before ExecStart=", func(s *Service) *[]ExecCommand { return &s.ExecStartPre }),
		exec("ExecStart", "the service's command", func(s *Service) *[]ExecCommand { return &s.ExecStart }),
		exec("ExecStartPost", "commands after ExecStart=", func(s *Service) *[]ExecCommand { return &s.ExecStartPost }),
		exec("ExecReload", "reload commands", func(s *Service) *[]ExecCommand { return &s.ExecReload }),
		exec("ExecStop", "stop commands", func(s *Service) *[]ExecCommand { return &s.ExecStop }),
		exec("ExecStopPost", "commands after stopping", func(s *Service) *[]ExecCommand { return &s.ExecStopPost }),
		{Name: "Restart", Sections: SectionService, Value: "no|on-success|on-failure|on-abnormal|on-watchdog|on-abort|always", Default: "no", Applied: true,
			Doc: "when the service is restarted", apply: enumValue([]string{"no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"},
				"Failed to parse service restart specifier", onService(func(s *Service) *string { return &s.Restart }))},
		{Name: "RestartSec", Sections: SectionService, Value: "time span", Default: "100ms", Applied: true,
			Doc: "delay before a restart", apply: secValue(onService(func(s *Service) *Timespan { return &s.RestartSec }))},
		{Name: "TimeoutStartSec", Sections: SectionService, Value: "time span (0 = infinity)", Default: "90s", Applied: true,
			Doc: "start-up timeout", apply: serviceTimeoutValue(true, false)},
		{Name: "TimeoutStopSec", Sections: SectionService, Value: "time span (0 = infinity)", Default: "90s", Applied: true,
			Doc: "stop timeout", apply: secFix0Value(onService(func(s *Service) *Timespan { return &s.TimeoutStopSec }))},
		{Name: "TimeoutSec", Sections: SectionService, Value: "time span (0 = infinity)", Default: "90s", Applied: true,
			Doc: "TimeoutStartSec= and TimeoutStopSec= at once", apply: serviceTimeoutValue(true, true)},
		{Name: "RemainAfterExit", Sections: SectionService, Value: "boolean", Default: "no", Applied: true,
			Doc: "active after the main process exits", apply: boolValue(onService(func(s *Service) *bool { return &s.RemainAfterExit }))},
		{Name: "Sockets", Sections: SectionService, Value: "socket unit names", Repeats: true, Applied: true,
			Doc: "socket units whose fds the service gets", apply: socketsValue},
		{Name: "USBFunctionDescriptors", Sections: SectionService, Value: "absolute path", Applied: true,
			Doc: "USB FunctionFS descriptors", apply: servicePathValue(func(s *Service) *string { return &s.USBFunctionDescriptors })},
		{Name: "USBFunctionStrings", Sections: SectionService, Value: "absolute path", Applied: true,
			Doc: "USB FunctionFS strings", apply: servicePathValue(func(s *Service) *string { return &s.USBFunctionStrings })},
	}
}

// serviceTimeoutValue is config_parse_service_timeout (TimeoutStartSec=, TimeoutSec=): 0 means
// infinity; TimeoutSec= sets the stop timeout too.
func serviceTimeoutValue(start, stop bool) func(*unitParser, assignment) error {
	return func(p *unitParser, a assignment) error {
		v, err := ParseTimespanFix0(a.Value)
		if err != nil {
			p.warn(a, "Failed to parse %s= parameter, ignoring: %s", a.Key, a.Value)
			return nil
		}
		if p.svc == nil {
			return nil
		}
		if start {
			p.svc.TimeoutStartSec = v
		}
		if stop {
			p.svc.TimeoutStopSec = v
		}
		return nil
	}
}

func socketsValue(p *unitParser, a assignment) error {
	words, err := SplitWords(a.Value, WordUnquote)
	if err != nil {
		p.warn(a, "Trailing garbage in sockets, ignoring: %s", a.Value)
		return nil
	}
	for _, w := range words {
		v, err := p.expand(w, maxUnitNameLen)
		if err != nil {
			p.warn(a, "Failed to resolve unit specifiers in '%s', ignoring: %s", w, strerror(err))
			continue
		}
		if !strings.HasSuffix(v, ".socket") {
			p.warn(a, "Unit must be of type socket, ignoring: %s", v)
			continue
		}
		if p.svc != nil {
			p.svc.Sockets = append(p.svc.Sockets, v)
		}
	}
	return nil
}

func servicePathValue(f func(s *Service) *string) func(*unitParser, assignment) error {
	return func(p *unitParser, a assignment) error {
		if a.Value == "" {
			*onService(f)(p) = ""
			return nil
		}
		v, err := p.expand(a.Value, maxPathLen)
		if err != nil {
			p.warn(a, "Failed to resolve unit specifiers in '%s', ignoring: %s", a.Value, strerror(err))
			return nil
		}
		path, ok := p.checkPath(a, v, pathIgnore)
		if ok {
			*onService(f)(p) = path
		}
		return nil
	}
}
