package supervisor

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/sockvisor/sockvisor/socketunit"
)

// credentials are the identity a service runs with.
type credentials struct {
	set    bool // User= or Group= given: the shim switches identity
	uid    uint32
	gid    uint32
	groups []uint32
	user   string // for USER/LOGNAME; "" without User=
	home   string
	shell  string
}

// passwdEntry is one line of /etc/passwd.
type passwdEntry struct {
	name          string
	uid, gid      uint32
	home, shell   string
	found, byName bool
}

// userDB reads the account databases; tests point it at their own files.
type userDB struct {
	passwd string // "/etc/passwd"
	group  string // "/etc/group"
}

// systemUserDB is the machine's own /etc/passwd and /etc/group.
var systemUserDB = userDB{passwd: "/etc/passwd", group: "/etc/group"}

// lookupUser finds a user by name or by number in the passwd file.
func (db userDB) lookupUser(spec string) (passwdEntry, error) {
	f, err := os.Open(db.passwd)
	if err != nil {
		return passwdEntry{}, err
	}
	defer f.Close()
	num, numErr := strconv.ParseUint(spec, 10, 32)
	var found passwdEntry
	err = scanColonFile(f, func(fields []string) bool {
		if len(fields) < 7 {
			return true
		}
		uid, err1 := strconv.ParseUint(fields[2], 10, 32)
		gid, err2 := strconv.ParseUint(fields[3], 10, 32)
		if err1 != nil || err2 != nil {
			return true
		}
		if fields[0] == spec || numErr == nil && uid == num {
			found = passwdEntry{name: fields[0], uid: uint32(uid), gid: uint32(gid), home: fields[5], shell: fields[6], found: true}
			return false
		}
		return true
	})
	return found, err
}

// lookupGroup finds a group's GID by name or number.
func (db userDB) lookupGroup(spec string) (uint32, error) {
	f, err := os.Open(db.group)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	num, numErr := strconv.ParseUint(spec, 10, 32)
	var gid uint32
	found := false
	err = scanColonFile(f, func(fields []string) bool {
		if len(fields) < 3 {
			return true
		}
		g, err := strconv.ParseUint(fields[2], 10, 32)
		if err != nil {
			return true
		}
		if fields[0] == spec || numErr == nil && g == num {
			gid, found = uint32(g), true
			return false
		}
		return true
	})
	if err != nil {
		return 0, err
	}
	if !found {
		if numErr == nil {
			return uint32(num), nil
		}
		return 0, fmt.Errorf("group %q not found in %s", spec, db.group)
	}
	return gid, nil
}

// memberGroups returns the GIDs of the groups that list user as a member (initgroups).
func (db userDB) memberGroups(user string) ([]uint32, error) {
	f, err := os.Open(db.group)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var gids []uint32
	err = scanColonFile(f, func(fields []string) bool {
		if len(fields) < 4 {
			return true
		}
		g, err := strconv.ParseUint(fields[2], 10, 32)
		if err != nil {
			return true
		}
		for _, m := range strings.Split(fields[3], ",") {
			if m == user {
				gids = append(gids, uint32(g))
				break
			}
		}
		return true
	})
	return gids, err
}

// scanColonFile calls fn with the fields of each non-comment line until fn returns false.
func scanColonFile(r io.Reader, fn func([]string) bool) error {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64*1024), 1024*1024)
	for s.Scan() {
		line := s.Text()
		if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		if !fn(strings.Split(line, ":")) {
			break
		}
	}
	return s.Err()
}

// resolveCredentials turns User=, Group= and SupplementaryGroups= into numbers. A numeric
// User= without a passwd entry is accepted (uid and gid both that number, home "/"), as
// container images often run numeric users; a user name that does not exist is an error.
// With privileged ("+" prefix) the identity is left alone.
func resolveCredentials(ec *socketunit.ExecContext, privileged bool, db userDB) (*credentials, error) {
	c := &credentials{uid: uint32(os.Getuid()), gid: uint32(os.Getgid())}
	if privileged || ec.User == "" && ec.Group == "" && len(ec.SupplementaryGroups) == 0 {
		return c, nil
	}
	c.set = true
	if ec.User != "" {
		pw, err := db.lookupUser(ec.User)
		if err != nil {
			return nil, fmt.Errorf("User=%s: %w", ec.User, err)
		}
		switch {
		case pw.found:
			c.uid, c.gid, c.user, c.home, c.shell = pw.uid, pw.gid, pw.name, pw.home, pw.shell
			member, err := db.memberGroups(pw.name)
			if err != nil {
				return nil, fmt.Errorf("User=%s: %w", ec.User, err)
			}
			c.groups = append(c.groups, member...)
		default:
			n, err := strconv.ParseUint(ec.User, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("User=%s: no such user in %s", ec.User, db.passwd)
			}
			c.uid, c.gid, c.user, c.home = uint32(n), uint32(n), ec.User, "/"
		}
	} else {
		c.groups = nil
	}
	if ec.Group != "" {
		gid, err := db.lookupGroup(ec.Group)
		if err != nil {
			return nil, fmt.Errorf("Group=%s: %w", ec.Group, err)
		}
		c.gid = gid
	}
	for _, g := range ec.SupplementaryGroups {
		gid, err := db.lookupGroup(g)
		if err != nil {
			return nil, fmt.Errorf("SupplementaryGroups=%s: %w", g, err)
		}
		c.groups = append(c.groups, gid)
	}
	return c, nil
}

// userEnv returns HOME, LOGNAME, USER and SHELL for a service with User=, as systemd sets them.
func (c *credentials) userEnv() []string {
	if c.user == "" {
		return nil
	}
	env := []string{"HOME=" + c.home, "LOGNAME=" + c.user, "USER=" + c.user}
	if c.shell != "" {
		env = append(env, "SHELL="+c.shell)
	}
	return env
}

// workingDirectory resolves WorkingDirectory=: "" means "/" (systemd's default for system
// services), "~" the home of User= (root's without User=).
func workingDirectory(ec *socketunit.ExecContext, c *credentials, db userDB) (string, error) {
	switch ec.WorkingDirectory {
	case "":
		return "/", nil
	case "~":
		if c.user != "" {
			return c.home, nil
		}
		pw, err := db.lookupUser(strconv.Itoa(os.Getuid()))
		if err != nil || !pw.found {
			return "/", nil
		}
		return pw.home, nil
	}
	return ec.WorkingDirectory, nil
}
