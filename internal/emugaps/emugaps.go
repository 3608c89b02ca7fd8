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

// Gap is one setting the emulator does not apply for one deployment.
type Gap struct {
	// Deployment is "terraform" or "cloudformation" (or "*").
	Deployment string `json:"deployment"`
	// Check is the verify check id, or a path.Match pattern over check ids
	// ("instance.*.imdsv2").
	Check string `json:"check"`
	// Type and Property name what the deployment declared
	// (AWS::S3::Bucket VersioningConfiguration).
	Type     string `json:"type,omitempty"`
	Property string `json:"property,omitempty"`
	// SeenOn is the emulator version the gap was confirmed on.
	SeenOn string `json:"seen_on"`
	// Note says what the emulator does instead.
	Note string `json:"note,omitempty"`
	// Patch says whether verify --patch-emulator-gaps can apply the setting
	// through the API afterwards.
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

// Parse decodes and validates a gap file.
func Parse(b []byte) (*List, error) {
	var l List
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("emulator gaps: %w", err)
	}
	var errs []error
	for i, g := range l.Gaps {
		if g.Deployment == "" || g.Check == "" || g.SeenOn == "" {
			errs = append(errs, fmt.Errorf("gap %d (%s): deployment, check and seen_on are required", i, g.Check))
		}
		if _, err := path.Match(g.Check, ""); err != nil {
			errs = append(errs, fmt.Errorf("gap %d: bad pattern %q: %w", i, g.Check, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("emulator gaps: %w", err)
	}
	return &l, nil
}

// Find returns the gap listed for check in deployment, or nil.
func (l *List) Find(deployment, check string) *Gap {
	if l == nil {
		return nil
	}
	for i := range l.Gaps {
		g := &l.Gaps[i]
		if g.Deployment != deployment && g.Deployment != "*" {
			continue
		}
		if ok, _ := path.Match(g.Check, check); ok {
			return g
		}
	}
	return nil
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
