// Package examples holds recipes for users to read and copy; its test runs
// each of them against a sandbox host so they keep working as written.
package examples

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"go.starlark.net/starlark"

	"github.com/iocage/iocage/builtins/release/releasetest"
	"github.com/iocage/iocage/recipes"
	"github.com/iocage/iocage/runtime/sandbox/sandboxtest"
	"github.com/iocage/iocage/starlib"
)

func TestMain(m *testing.M) { releasetest.Main(m) }

func TestWebJailServesItsPage(t *testing.T) {
	s := sandboxtest.New(t)
	releasetest.Use(t, s)
	ctx := context.Background()
	in := starlib.New(starlib.Options{Host: s.Host, Recipes: recipes.FS, Stdout: io.Discard, Stderr: os.Stderr})
	if _, err := in.CallMain(ctx, "@iocage//activate.star", []starlark.Tuple{{starlark.String("pool"), starlark.String(s.Pool)}}); err != nil {
		t.Fatal(err)
	}
	releasetest.Fetch(t, s, s.Pool, "14.3-RELEASE", releasetest.Options{NoBase: true})
	v, err := in.RunMain(ctx, "webjail.star", []string{"tag=web", "port=18081"})
	if err != nil {
		t.Fatalf("webjail.star: %v", err)
	}
	t.Cleanup(func() {
		_, _ = in.CallMain(context.Background(), "@iocage//stop.star", []starlark.Tuple{{starlark.String("names"), starlark.NewList([]starlark.Value{starlark.String("web")})}})
	})
	if !strings.Contains(v.String(), `"url": "http://127.0.0.1:18081/"`) {
		t.Errorf("result = %s", v)
	}
	// The page comes from busybox httpd running inside the jail, started by
	// the jail's /etc/rc from the package's rc.d script.
	var body string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://127.0.0.1:18081/")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(strings.ToLower(body), "<html") {
		t.Errorf("GET http://127.0.0.1:18081/ = %q, want the webserver package's page", body)
	}
}
