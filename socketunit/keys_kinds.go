package socketunit

// Value kinds shared by many keys: each returns an apply function that parses the value with
// systemd's parser and, on failure, records systemd's message and keeps the previous value.

// field gives the parser the place a key stores its value in the unit being loaded.
type field[T any] func(p *unitParser) *T

func onSocket[T any](f func(s *Socket) *T) field[T] {
	return func(p *unitParser) *T {
		if p.sock == nil {
			return new(T) // not a socket unit: parsed for the messages only
		}
		return f(p.sock)
	}
}

func onService[T any](f func(s *Service) *T) field[T] {
	return func(p *unitParser) *T {
		if p.svc == nil {
			return new(T)
		}
		return f(p.svc)
	}
}

func onExec[T any](f func(e *ExecContext) *T) field[T] {
	return func(p *unitParser) *T { return f(p.exec) }
}

func onKill[T any](f func(k *KillContext) *T) field[T] {
	return func(p *unitParser) *T { return f(p.kill) }
}

func onUnit[T any](f func(u *UnitSection) *T) field[T] {
	return func(p *unitParser) *T { return f(p.unit) }
}

func onInstall[T any](f func(i *InstallSection) *T) field[T] {
	return func(p *unitParser) *T { return f(p.install) }
}

// parsed builds the apply function of a key whose parser returns (T, error) and whose failure
// message is "<what>, ignoring: <value>" (systemd's DEFINE_CONFIG_PARSE_PTR family).
func parsed[T any](parse func(string) (T, error), msg string, f field[T]) func(*unitParser, assignment) error {
	return func(p *unitParser, a assignment) error {
		v, err := parse(a.Value)
		if err != nil {
			p.warn(a, "%s, ignoring: %s", msg, a.Value)
			return nil
		}
		*f(p) = v
		return nil
	}
}

func boolValue(f field[bool]) func(*unitParser, assignment) error {
	return parsed(ParseBool, "Failed to parse boolean value", f)
}

func unsignedValue(f field[uint32]) func(*unitParser, assignment) error {
	return parsed(ParseUnsigned, "Failed to parse unsigned value", f)
}

func intValue(f field[int]) func(*unitParser, assignment) error {
	return parsed(ParseInt, "Failed to parse int value", f)
}

func longValue(f field[int64]) func(*unitParser, assignment) error {
	return parsed(ParseLong, "Failed to parse long value", f)
}

func modeValue(f field[uint32]) func(*unitParser, assignment) error {
	return parsed(ParseMode, "Failed to parse mode value", f)
}

func secValue(f field[Timespan]) func(*unitParser, assignment) error {
	return parsed(ParseTimespan, "Failed to parse sec value", f)
}

// secFix0Value is config_parse_sec_fix_0: 0 means infinity, and the message says "time".
func secFix0Value(f field[Timespan]) func(*unitParser, assignment) error {
	return parsed(ParseTimespanFix0, "Failed to parse time value", f)
}

// sizeValue is config_parse_iec_size, whose message quotes the value and names the errno.
func sizeValue(f field[uint64]) func(*unitParser, assignment) error {
	return func(p *unitParser, a assignment) error {
		v, err := ParseSize(a.Value)
		if err != nil {
			p.warn(a, "Failed to parse size value '%s', ignoring: %s", a.Value, strerror(err))
			return nil
		}
		*f(p) = v
		return nil
	}
}

// stringValue is config_parse_string: any value; empty unsets.
func stringValue(f field[string]) func(*unitParser, assignment) error {
	return func(p *unitParser, a assignment) error {
		*f(p) = a.Value
		return nil
	}
}

// printfValue is config_parse_unit_string_printf: specifiers expanded; empty unsets.
func printfValue(f field[string]) func(*unitParser, assignment) error {
	return func(p *unitParser, a assignment) error {
		if a.Value == "" {
			*f(p) = ""
			return nil
		}
		v, err := p.expand(a.Value, maxPrintfLen)
		if err != nil {
			p.warn(a, "Failed to resolve unit specifiers in '%s', ignoring: %s", a.Value, strerror(err))
			return nil
		}
		*f(p) = v
		return nil
	}
}

// enumValue parses one of a fixed set of words; msg is systemd's "Failed to parse …" text.
func enumValue(values []string, msg string, f field[string]) func(*unitParser, assignment) error {
	return func(p *unitParser, a assignment) error {
		for _, v := range values {
			if a.Value == v {
				*f(p) = v
				return nil
			}
		}
		p.warn(a, "%s, ignoring: %s", msg, a.Value)
		return nil
	}
}
