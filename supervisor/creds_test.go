package supervisor

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sockvisor/sockvisor/socketunit"
)

func testUserDB(t *testing.T) userDB {
	dir := t.TempDir()
	db := userDB{passwd: filepath.Join(dir, "passwd"), group: filepath.Join(dir, "group")}
	os.WriteFile(db.passwd, []byte("root:x:0:0:root:/root:/bin/bash\n# comment\nweb:x:1001:1002:Web:/srv/web:/bin/sh\n"), 0o644)
	os.WriteFile(db.group, []byte("root:x:0:\nwebgrp:x:1002:\nssl:x:1100:web,other\naudio:x:29:other\n"), 0o644)
	return db
}

func TestResolveCredentials(t *testing.T) {
	db := testUserDB(t)
	c, err := resolveCredentials(&socketunit.ExecContext{User: "web", SupplementaryGroups: []string{"audio", "4000"}}, false, db)
	if err != nil {
		t.Fatal(err)
	}
	if c.uid != 1001 || c.gid != 1002 || !reflect.DeepEqual(c.groups, []uint32{1100, 29, 4000}) || c.home != "/srv/web" {
		t.Errorf("got %+v", c)
	}
	if env := c.userEnv(); !reflect.DeepEqual(env, []string{"HOME=/srv/web", "LOGNAME=web", "USER=web", "SHELL=/bin/sh"}) {
		t.Errorf("env %q", env)
	}
	c, err = resolveCredentials(&socketunit.ExecContext{User: "1001", Group: "ssl"}, false, db)
	if err != nil || c.uid != 1001 || c.gid != 1100 || c.user != "web" {
		t.Errorf("numeric user with entry: %+v %v", c, err)
	}
	c, err = resolveCredentials(&socketunit.ExecContext{User: "4242"}, false, db)
	if err != nil || c.uid != 4242 || c.gid != 4242 {
		t.Errorf("numeric user without entry: %+v %v", c, err)
	}
	if _, err := resolveCredentials(&socketunit.ExecContext{User: "nosuch"}, false, db); err == nil {
		t.Error("unknown user name accepted")
	}
	if _, err := resolveCredentials(&socketunit.ExecContext{User: "web", Group: "nosuch"}, false, db); err == nil {
		t.Error("unknown group name accepted")
	}
	c, _ = resolveCredentials(&socketunit.ExecContext{User: "web"}, true, db)
	if c.set {
		t.Error("+ prefix must keep sockvisor's identity")
	}
	wd, _ := workingDirectory(&socketunit.ExecContext{WorkingDirectory: "~"}, &credentials{user: "web", home: "/srv/web"}, db)
	if wd != "/srv/web" {
		t.Errorf("~ = %q", wd)
	}
}
