package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iocage/iocage/runtime/sandbox"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
)

// The exec, console and chroot verbs exit with the status their recipe
// returns; a site recipe of the same name stands in for the shipped one
// and echoes its arguments to stderr.
func TestExecVerbPassesArgumentsAndExitStatus(t *testing.T) {
	s := sandboxtest.New(t)
	t.Setenv(sandbox.EnvDir, s.Dir)
	t.Setenv("IOCAGE_RECIPES", "/tmp/startsite")
	writeFiles(t, s.Path("/tmp/startsite"), map[string]string{
		"exec.star": `def main(name, command, user = "", jail_user = ""):
    """a stand-in for exec

    Output: exit status

    Arguments:
      command CMD [ARG...] (verbatim): the command

    Flags:
      -u, --user USER: a user of the host
      -U, --jail-user USER: a user of the jail
    """
    print(json.encode(dict(name = name, command = command, user = user, jail_user = jail_user)))
    return int(command[-1])
`,
		"chroot.star": `def main(name, command = []):
    """a stand-in for chroot

    Output: exit status

    Arguments:
      command CMD [ARG...] (verbatim): the command
    """
    print(json.encode(dict(name = name, command = command)))
    return 0
`,
	})
	for _, tc := range []struct {
		args []string
		want result
	}{
		{[]string{"exec", "-U", "www", "web", "/bin/sh", "-c", "--", "7"},
			result{Stdout: `{"command":["/bin/sh","-c","--","7"],"jail_user":"www","name":"web","user":""}` + "\n", Code: 7}},
		{[]string{"exec", "-u", "root", "ALL", "true", "0"},
			result{Stdout: `{"command":["true","0"],"jail_user":"","name":"ALL","user":"root"}` + "\n"}},
		{[]string{"exec", "web"}, result{Code: 2, Stderr: "iocage: error: exec: missing CMD [ARG...] (see `iocage exec --help`)\n"}},
		{[]string{"chroot", "web"}, result{Stdout: `{"command":[],"name":"web"}` + "\n"}},
	} {
		got := iocageOn(t, "", tc.args...)
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%v (-want +got):\n%s", tc.args, d)
		}
	}
}
