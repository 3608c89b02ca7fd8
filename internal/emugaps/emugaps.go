package emugaps

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
)

// DefaultFile is the gap list at the project root.
const DefaultFile = "emulator-gaps.json"

// NotFound is the observation of a check whose resource or setting the
// emulator did not create at all (the API answers "not found").
const NotFound = "(not found)"

// Gap is one observation: what the emulator is seen to produce, for one
// property of one deployment, instead of what the deployment declared.
type Gap struct {
	// ID names the entry in reports ("cfn-bucket-versioning").
	ID string `json:"id"`
	// Deployment is "terraform" or "cloudformation".
	Deployment string `json:"deployment"`
	// Check is the verify check id, or a path.Match pattern over check ids
	// ("instance.*.http-tokens") when the same observation holds for
	// every match.
	Check string `json:"check"`
	// Matches is how many checks of the default model the pattern is meant
	// to match (1 for an exact id); a test keeps it true, so that a
	// pattern cannot silently cover more checks than it names.
	Matches int `json:"matches"`
	// Observed is the value verify reads back when the gap is present, as
	// verify prints it ("" for an empty value, NotFound when nothing is
	// there). The entry applies only when the observation equals it: any
	// other value is a real difference.
	Observed string `json:"observed"`
	// Type and Property name what the deployment declared
	// (AWS::S3::Bucket VersioningConfiguration).
	Type     string `json:"type,omitempty"`
	Property string `json:"property,omitempty"`
	// SeenOn is the emulator version the observation was confirmed on.
	SeenOn string `json:"seen_on"`
	// Note says what the emulator does instead.
	Note string `json:"note,omitempty"`
	// Patch says whether verify --patch-emulator-gaps may set the model's
	// value through the API (and then re-verify).
	Patch bool `json:"patch"`
}

// List is the gap file.
type List struct {
	Emulator string `json:"emulator"` // "moto"
	Gaps     []Gap  `json:"gaps"`
}

// Load reads and validates the gap file at p.
func Load(p string) (*List, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("emulator gaps: %w", err)
	}
	return Parse(b)
}

// Parse decodes and validates a gap file: every entry needs an id (unique),
// a deployment, a check, an observation (the key must be present), a
// positive match count and seen_on.
func Parse(b []byte) (*List, error) {
	var raw struct {
		Gaps []map[string]json.RawMessage `json:"gaps"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("emulator gaps: %w", err)
	}
	var l List
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("emulator gaps: %w", err)
	}
	var errs []error
	ids := map[string]bool{}
	for i, g := range l.Gaps {
		name := fmt.Sprintf("gap %d (%s)", i, g.ID)
		if g.ID == "" || g.Deployment == "" || g.Check == "" || g.SeenOn == "" {
			errs = append(errs, fmt.Errorf("%s: id, deployment, check and seen_on are required", name))
		}
		if g.Deployment != "terraform" && g.Deployment != "cloudformation" {
			errs = append(errs, fmt.Errorf("%s: deployment must be terraform or cloudformation, not %q", name, g.Deployment))
		}
		if _, ok := raw.Gaps[i]["observed"]; !ok {
			errs = append(errs, fmt.Errorf("%s: observed is required (what the emulator is seen to produce)", name))
		}
		if g.Matches < 1 {
			errs = append(errs, fmt.Errorf("%s: matches must be at least 1", name))
		}
		if ids[g.ID] {
			errs = append(errs, fmt.Errorf("%s: duplicate id", name))
		}
		ids[g.ID] = true
		if _, err := path.Match(g.Check, ""); err != nil {
			errs = append(errs, fmt.Errorf("%s: bad pattern %q: %w", name, g.Check, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("emulator gaps: %w", err)
	}
	return &l, nil
}

// Covers reports whether the entry's deployment and check pattern cover
// check in deployment (whatever was observed).
func (g *Gap) Covers(deployment, check string) bool {
	if g.Deployment != deployment {
		return false
	}
	ok, _ := path.Match(g.Check, check)
	return ok
}

// Find returns the entry for check in deployment whose observation equals
// observed, or nil: a value the entry does not describe is not a gap.
func (l *List) Find(deployment, check, observed string) *Gap {
	if l == nil {
		return nil
	}
	for i := range l.Gaps {
		g := &l.Gaps[i]
		if g.Covers(deployment, check) && g.Observed == observed {
			return g
		}
	}
	return nil
}

// Covering returns the entries whose deployment and pattern cover check.
func (l *List) Covering(deployment, check string) []*Gap {
	if l == nil {
		return nil
	}
	var out []*Gap
	for i := range l.Gaps {
		if l.Gaps[i].Covers(deployment, check) {
			out = append(out, &l.Gaps[i])
		}
	}
	return out
}

// CompareVersions compares dotted numeric versions ("5.2.1" < "5.10.0");
// non-numeric parts compare as strings.
func CompareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		x, y := "0", "0"
		if i < len(as) {
			x = as[i]
		}
		if i < len(bs) {
			y = bs[i]
		}
		xi, errx := strconv.Atoi(x)
		yi, erry := strconv.Atoi(y)
		switch {
		case errx == nil && erry == nil:
			if xi != yi {
				if xi < yi {
					return -1
				}
				return 1
			}
		case x != y:
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// Markdown renders the list as the README's table: one row per entry with
// the value the emulator is observed to produce.
func (l *List) Markdown() string {
	var b strings.Builder
	b.WriteString("| id | deployment | check (matches) | declared | observed | what the emulator does | locally | seen on |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, g := range l.Gaps {
		obs := "`" + g.Observed + "`"
		if g.Observed == "" {
			obs = "empty"
		}
		local := "unverified"
		if g.Patch {
			local = "patched"
		}
		declared := strings.TrimSpace(g.Type + " `" + g.Property + "`")
		if g.Property == "" {
			declared = g.Type
		}
		fmt.Fprintf(&b, "| `%s` | %s | `%s` (%d) | %s | %s | %s | %s | %s |\n",
			g.ID, g.Deployment, cell(g.Check), g.Matches, cell(declared), cell(obs), cell(g.Note), local, g.SeenOn)
	}
	return b.String()
}
