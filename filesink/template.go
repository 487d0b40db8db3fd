package filesink

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/topic"
)

var _ error = (*refusal)(nil)

// Errors about paths.
var (
	ErrTemplate  = errors.New("filesink: bad path template")
	ErrComponent = errors.New("filesink: refused path component")
	ErrFormat    = errors.New("filesink: bad line format")
)

// Template variables.
var templateVars = []string{"equipment", "host", "system", "kind", "logger", "date"}

// template is a parsed path template: literal text and variables,
// rendered per record into a path relative to the root.
type template struct {
	src   string
	parts []part
}

type part struct {
	lit string
	v   string // variable name, when lit is empty
}

// parseTemplate checks a template such as "{equipment}/{host}.log": its
// literal text must be safe path text itself, and it must not be
// absolute or climb out of the root.
func parseTemplate(s string) (*template, error) {
	t := &template{src: s}
	if s == "" || strings.HasPrefix(s, "/") || strings.Contains(s, `\`) {
		return nil, fmt.Errorf("%w: %q: want a relative path with / separators", ErrTemplate, s)
	}
	for rest := s; rest != ""; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			t.parts = append(t.parts, part{lit: rest})
			break
		}
		if i > 0 {
			t.parts = append(t.parts, part{lit: rest[:i]})
		}
		j := strings.IndexByte(rest, '}')
		if j < i {
			return nil, fmt.Errorf("%w: %q: unclosed {", ErrTemplate, s)
		}
		name := rest[i+1 : j]
		if !contains(templateVars, name) {
			return nil, fmt.Errorf("%w: %q: unknown variable {%s} (have %s)", ErrTemplate, s, name, strings.Join(templateVars, ", "))
		}
		t.parts = append(t.parts, part{v: name})
		rest = rest[j+1:]
	}
	for _, p := range t.parts {
		for _, c := range []byte(p.lit) {
			if c != '/' && !logbus.NameByte(c) {
				return nil, fmt.Errorf("%w: %q: character %q outside [A-Za-z0-9._-/]", ErrTemplate, s, c)
			}
		}
	}
	for _, comp := range strings.Split(s, "/") {
		if comp == "" || comp == "." || comp == ".." {
			return nil, fmt.Errorf("%w: %q: empty, . or .. component", ErrTemplate, s)
		}
	}
	return t, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// fields are the values a record gives the template.
type fields struct {
	equipment, host, logger string
	system                  logbus.System
	kind                    topic.Kind
	date                    time.Time
}

func recordFields(t topic.Topic, env *logbus.Envelope, logger string) fields {
	return fields{equipment: env.Equipment, host: env.Host, logger: logger, system: t.System, kind: t.Kind, date: env.Time}
}

// render appends the relative path for f to dst, or returns the refused
// variable's name and value.
func (t *template) render(dst []byte, f *fields) ([]byte, error) {
	for _, p := range t.parts {
		if p.v == "" {
			dst = append(dst, p.lit...)
			continue
		}
		var val string
		switch p.v {
		case "equipment":
			val = f.equipment
		case "host":
			val = f.host
		case "logger":
			val = f.logger
		case "system":
			val = string(rune(f.system))
		case "kind":
			val = string(rune(f.kind))
		case "date":
			if f.date.IsZero() {
				val = "undated"
			} else {
				dst = f.date.UTC().AppendFormat(dst, time.DateOnly)
				continue
			}
		}
		if !logbus.ValidName(val) {
			return dst, &refusal{variable: p.v, value: val}
		}
		dst = append(dst, val...)
	}
	// Variables glued to literals could still make "." or ".." or an
	// over-long component; check the result component by component.
	rel := dst
	for len(rel) > 0 {
		i := 0
		for i < len(rel) && rel[i] != '/' {
			i++
		}
		c := rel[:i]
		if len(c) == 0 || len(c) > 255 || string(c) == "." || string(c) == ".." {
			return dst, &refusal{variable: "path", value: string(dst)}
		}
		if i == len(rel) {
			break
		}
		rel = rel[i+1:]
	}
	return dst, nil
}

// refusal says which value made a path unusable.
type refusal struct {
	variable, value string
}

func (r *refusal) Error() string {
	return fmt.Sprintf("%v: {%s} = %q", ErrComponent, r.variable, r.value)
}

func (r *refusal) Unwrap() error { return ErrComponent }

// cleanRel reports whether rel is a clean relative path (no leading
// slash, no . or .. components): the last line of defence before a path
// reaches the file system.
func cleanRel(rel string) bool {
	return rel != "" && !strings.HasPrefix(rel, "/") && path.Clean(rel) == rel && rel != ".." && !strings.HasPrefix(rel, "../")
}
