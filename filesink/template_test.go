package filesink

import (
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus"
)

// FuzzRender: whatever values a record carries, a rendered path is either
// refused or a clean relative path whose every component is safe.
func FuzzRender(f *testing.F) {
	for _, s := range []string{"scope-3", "../x", "/etc/passwd", "..", ".", "a\x00b", "é", "a/b", strings.Repeat("A", 300), ""} {
		f.Add(s, "lab-7", "stage")
	}
	tmpls := []*template{}
	for _, src := range []string{"{equipment}/{host}.log", "{equipment}/.exlab-wizard/wizard.{host}.log", "{system}{kind}/{logger}/{date}.log", "x{equipment}{host}"} {
		t, err := parseTemplate(src)
		if err != nil {
			f.Fatal(err)
		}
		tmpls = append(tmpls, t)
	}
	f.Fuzz(func(t *testing.T, equipment, host, logger string) {
		fl := fields{equipment: equipment, host: host, logger: logger, system: 'P', kind: 'L', date: time.Unix(0, 0)}
		for _, tm := range tmpls {
			out, err := tm.render(nil, &fl)
			if err != nil {
				continue
			}
			rel := string(out)
			if !cleanRel(rel) {
				t.Fatalf("%s rendered %q: not a clean relative path", tm.src, rel)
			}
			for _, c := range strings.Split(rel, "/") {
				for i := 0; i < len(c); i++ {
					if !logbus.NameByte(c[i]) {
						t.Fatalf("%s rendered %q: byte %q", tm.src, rel, c[i])
					}
				}
			}
		}
	})
}
