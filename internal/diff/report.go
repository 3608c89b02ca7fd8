package diff

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/twinstack/twinstack/internal/diff/entity"
)

// Status is the verdict of a comparison.
type Status string

const (
	// Equivalent: every entity has a counterpart with equal properties and
	// every resource was understood.
	Equivalent Status = "equivalent"
	// Different: some property differs or some entity exists on one side
	// only.
	Different Status = "different"
	// Unsupported: no difference was found but some resource or property
	// was not compared, so equivalence cannot be claimed.
	Unsupported Status = "unsupported"
)

// Report is the result of a comparison. Its JSON form is stable.
type Report struct {
	Status             Status       `json:"status"`
	Terraform          Side         `json:"terraform"`
	CloudFormation     Side         `json:"cloudformation"`
	Different          []Difference `json:"different"`
	OnlyTerraform      []Item       `json:"only_in_terraform"`
	OnlyCloudFormation []Item       `json:"only_in_cloudformation"`
	Unsupported        []Note       `json:"unsupported"`
	Ignored            []Note       `json:"ignored"`
	Equal              []Match      `json:"equal"`
	// Rules say how the two vocabularies were made comparable where that
	// is more than reading the same setting, for the kinds compared.
	Rules []Rule `json:"rules"`
}

// Rule is an equivalence rule of one property of a kind.
type Rule struct {
	Kind     string `json:"kind"`
	Property string `json:"property"`
	Rule     string `json:"rule"`
}

// Side describes one input.
type Side struct {
	Path     string `json:"path"`
	Entities int    `json:"entities"`
}

// Difference is one property whose values differ. For set-valued
// properties (rules, permissions, subnets) OnlyTerraform and
// OnlyCloudFormation hold the items the other side lacks.
type Difference struct {
	Kind               string   `json:"kind"`
	Key                string   `json:"key"`
	Property           string   `json:"property"`
	Terraform          []string `json:"terraform"`
	CloudFormation     []string `json:"cloudformation"`
	Set                bool     `json:"set,omitempty"`
	OnlyTerraform      []string `json:"only_in_terraform,omitempty"`
	OnlyCloudFormation []string `json:"only_in_cloudformation,omitempty"`
	// Sentence says the difference in words.
	Sentence string `json:"sentence"`
	// TerraformAt and CloudFormationAt are where the entity is declared
	// (file:line), when the reader knows.
	TerraformAt      []string `json:"terraform_at,omitempty"`
	CloudFormationAt []string `json:"cloudformation_at,omitempty"`
}

// Item is an entity present on one side only.
type Item struct {
	Kind     string   `json:"kind"`
	Key      string   `json:"key"`
	Sources  []string `json:"sources"`
	Sentence string   `json:"sentence"`
	At       []string `json:"at,omitempty"`
}

// Match is a pair of entities with equal properties.
type Match struct {
	Kind           string   `json:"kind"`
	Key            string   `json:"key"`
	Terraform      []string `json:"terraform"`
	CloudFormation []string `json:"cloudformation"`
	Properties     int      `json:"properties"`
}

// Note is a resource that is not compared.
type Note struct {
	Side   string `json:"side"`
	Addr   string `json:"address"`
	Type   string `json:"type"`
	Reason string `json:"reason"`
}

func (r *Report) sort() {
	sort.SliceStable(r.Different, func(i, j int) bool {
		a, b := r.Different[i], r.Different[j]
		if a.Kind != b.Kind {
			return kindOrder(a.Kind) < kindOrder(b.Kind)
		}
		return a.Key < b.Key
	})
	sort.SliceStable(r.Equal, func(i, j int) bool {
		a, b := r.Equal[i], r.Equal[j]
		if a.Kind != b.Kind {
			return kindOrder(a.Kind) < kindOrder(b.Kind)
		}
		return a.Key < b.Key
	})
	for _, l := range [][]Item{r.OnlyTerraform, r.OnlyCloudFormation} {
		sort.SliceStable(l, func(i, j int) bool {
			if l[i].Kind != l[j].Kind {
				return kindOrder(l[i].Kind) < kindOrder(l[j].Kind)
			}
			return l[i].Key < l[j].Key
		})
	}
	for _, l := range [][]Note{r.Unsupported, r.Ignored} {
		sort.SliceStable(l, func(i, j int) bool {
			if l[i].Side != l[j].Side {
				return l[i].Side > l[j].Side // terraform first
			}
			return l[i].Addr < l[j].Addr
		})
	}
	switch {
	case len(r.Different) > 0 || len(r.OnlyTerraform) > 0 || len(r.OnlyCloudFormation) > 0:
		r.Status = Different
	case len(r.Unsupported) > 0:
		r.Status = Unsupported
	default:
		r.Status = Equivalent
	}
}

// Format is an output format of a report.
type Format string

const (
	Table    Format = "table"
	JSON     Format = "json"
	Markdown Format = "markdown"
)

// ParseFormat accepts table, json and markdown (md).
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "table", "":
		return Table, nil
	case "json":
		return JSON, nil
	case "markdown", "md":
		return Markdown, nil
	}
	return "", fmt.Errorf("unknown format %q (want table, json or markdown)", s)
}

// Write renders the report.
func (r *Report) Write(w io.Writer, f Format) error {
	switch f {
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(r.forJSON())
	case Markdown:
		return r.writeMarkdown(w)
	case Table, "":
		return r.writeTable(w)
	}
	return fmt.Errorf("unknown format %q", f)
}

// forJSON replaces nil slices with empty ones so that every key is a list.
func (r *Report) forJSON() *Report {
	c := *r
	if c.Different == nil {
		c.Different = []Difference{}
	}
	if c.OnlyTerraform == nil {
		c.OnlyTerraform = []Item{}
	}
	if c.OnlyCloudFormation == nil {
		c.OnlyCloudFormation = []Item{}
	}
	if c.Unsupported == nil {
		c.Unsupported = []Note{}
	}
	if c.Ignored == nil {
		c.Ignored = []Note{}
	}
	if c.Equal == nil {
		c.Equal = []Match{}
	}
	if c.Rules == nil {
		c.Rules = []Rule{}
	}
	return &c
}

// Summary is the one-line verdict.
func (r *Report) Summary() string {
	return fmt.Sprintf("%s: %d equal, %d different properties, %d only in Terraform, %d only in CloudFormation, %d unsupported",
		strings.ToUpper(string(r.Status)), len(r.Equal), len(r.Different), len(r.OnlyTerraform), len(r.OnlyCloudFormation), len(r.Unsupported))
}

func entityName(kind, key string) string { return kind + " " + key }

// shown renders one side's value of a difference for a table cell: the
// items only that side has (sets), the first differing line (multi-line
// text), or the value.
func shown(d Difference, mine, theirs, only []string) []string {
	if d.Set {
		if len(only) == 0 {
			return []string{"(no other items)"}
		}
		out := make([]string, len(only))
		for i, v := range only {
			out[i] = "+ " + v
		}
		return out
	}
	if len(mine) == 1 && len(theirs) == 1 && (strings.Contains(mine[0], "\n") || strings.Contains(theirs[0], "\n")) {
		a, b := strings.Split(mine[0], "\n"), strings.Split(theirs[0], "\n")
		for i := 0; i < len(a) || i < len(b); i++ {
			var x, y string
			if i < len(a) {
				x = a[i]
			}
			if i < len(b) {
				y = b[i]
			}
			if x != y {
				if i >= len(a) {
					return []string{fmt.Sprintf("line %d: (end of text)", i+1)}
				}
				return []string{fmt.Sprintf("line %d: %s", i+1, x)}
			}
		}
	}
	if len(mine) == 0 {
		return []string{"(none)"}
	}
	return mine
}

func (r *Report) writeTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "twinstack diff\n  terraform:      %s (%d entities)\n  cloudformation: %s (%d entities)\n%s\n",
		r.Terraform.Path, r.Terraform.Entities, r.CloudFormation.Path, r.CloudFormation.Entities, r.Summary())
	tw := func(title string, header string, rows [][]string) {
		if len(rows) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s\n", title)
		t := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(t, header)
		for _, row := range rows {
			fmt.Fprintln(t, strings.Join(row, "\t"))
		}
		t.Flush()
	}
	if f := r.findings(); f != "" {
		b.WriteString("\nFINDINGS\n" + f)
	}
	var rows [][]string
	for _, d := range r.Different {
		tv := shown(d, d.Terraform, d.CloudFormation, d.OnlyTerraform)
		cv := shown(d, d.CloudFormation, d.Terraform, d.OnlyCloudFormation)
		for i := 0; i < len(tv) || i < len(cv); i++ {
			row := []string{"", "", "", ""}
			if i == 0 {
				row[0], row[1] = entityName(d.Kind, d.Key), d.Property
			}
			if i < len(tv) {
				row[2] = tv[i]
			}
			if i < len(cv) {
				row[3] = cv[i]
			}
			rows = append(rows, row)
		}
	}
	tw("DIFFERENT", "ENTITY\tPROPERTY\tTERRAFORM\tCLOUDFORMATION", rows)
	items := func(l []Item) [][]string {
		var rows [][]string
		for _, it := range l {
			rows = append(rows, []string{entityName(it.Kind, it.Key), strings.Join(it.Sources, ", ")})
		}
		return rows
	}
	tw("ONLY IN TERRAFORM", "ENTITY\tRESOURCES", items(r.OnlyTerraform))
	tw("ONLY IN CLOUDFORMATION", "ENTITY\tRESOURCES", items(r.OnlyCloudFormation))
	notes := func(l []Note) [][]string {
		var rows [][]string
		for _, n := range l {
			rows = append(rows, []string{n.Side, n.Addr, n.Type, n.Reason})
		}
		return rows
	}
	tw("UNSUPPORTED (not compared: equivalence cannot be claimed)", "SIDE\tADDRESS\tTYPE\tREASON", notes(r.Unsupported))
	tw("IGNORED (understood, deliberately not compared)", "SIDE\tADDRESS\tTYPE\tREASON", notes(r.Ignored))
	var eq [][]string
	for _, m := range r.Equal {
		eq = append(eq, []string{entityName(m.Kind, m.Key), equalNote(m), fmt.Sprint(len(m.Terraform)), fmt.Sprint(len(m.CloudFormation))})
	}
	tw("EQUAL", "ENTITY\tPROPERTIES\tTERRAFORM RESOURCES\tCLOUDFORMATION RESOURCES", eq)
	var rules [][]string
	for _, ru := range r.Rules {
		rules = append(rules, []string{ru.Kind, ru.Property, ru.Rule})
	}
	tw("RULES (how the two vocabularies were made comparable)", "KIND\tPROPERTY\tRULE", rules)
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Report) writeMarkdown(w io.Writer) error {
	var b strings.Builder
	cell := func(s string) string {
		s = strings.ReplaceAll(s, "|", `\|`)
		return strings.ReplaceAll(s, "\n", "<br>")
	}
	fmt.Fprintf(&b, "# twinstack diff\n\n- Terraform: `%s` (%d entities)\n- CloudFormation: `%s` (%d entities)\n\n**%s**\n",
		r.Terraform.Path, r.Terraform.Entities, r.CloudFormation.Path, r.CloudFormation.Entities, r.Summary())
	table := func(title string, header []string, rows [][]string) {
		if len(rows) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n## %s\n\n| %s |\n|%s\n", title, strings.Join(header, " | "), strings.Repeat(" --- |", len(header)))
		for _, row := range rows {
			cs := make([]string, len(row))
			for i, c := range row {
				cs[i] = cell(c)
			}
			fmt.Fprintf(&b, "| %s |\n", strings.Join(cs, " | "))
		}
	}
	if f := r.findings(); f != "" {
		b.WriteString("\n## Findings\n\n")
		for _, line := range strings.Split(strings.TrimSuffix(f, "\n"), "\n") {
			if rest, ok := strings.CutPrefix(line, "  - "); ok {
				b.WriteString("  - " + rest + "\n")
				continue
			}
			b.WriteString("- **" + line + "**\n")
		}
	}
	var rows [][]string
	for _, d := range r.Different {
		tv := shown(d, d.Terraform, d.CloudFormation, d.OnlyTerraform)
		cv := shown(d, d.CloudFormation, d.Terraform, d.OnlyCloudFormation)
		rows = append(rows, []string{entityName(d.Kind, d.Key), d.Property, "`" + strings.Join(tv, "`<br>`") + "`", "`" + strings.Join(cv, "`<br>`") + "`"})
	}
	table("Different", []string{"Entity", "Property", "Terraform", "CloudFormation"}, rows)
	items := func(l []Item) [][]string {
		var rows [][]string
		for _, it := range l {
			rows = append(rows, []string{entityName(it.Kind, it.Key), strings.Join(it.Sources, ", ")})
		}
		return rows
	}
	table("Only in Terraform", []string{"Entity", "Resources"}, items(r.OnlyTerraform))
	table("Only in CloudFormation", []string{"Entity", "Resources"}, items(r.OnlyCloudFormation))
	notes := func(l []Note) [][]string {
		var rows [][]string
		for _, n := range l {
			rows = append(rows, []string{n.Side, "`" + n.Addr + "`", n.Type, n.Reason})
		}
		return rows
	}
	table("Unsupported (not compared)", []string{"Side", "Address", "Type", "Reason"}, notes(r.Unsupported))
	table("Ignored (understood, not compared)", []string{"Side", "Address", "Type", "Reason"}, notes(r.Ignored))
	var eq [][]string
	for _, m := range r.Equal {
		eq = append(eq, []string{entityName(m.Kind, m.Key), equalNote(m), "`" + strings.Join(m.Terraform, "`, `") + "`", "`" + strings.Join(m.CloudFormation, "`, `") + "`"})
	}
	table("Equal", []string{"Entity", "Properties", "Terraform", "CloudFormation"}, eq)
	var rules [][]string
	for _, ru := range r.Rules {
		rules = append(rules, []string{ru.Kind, "`" + ru.Property + "`", ru.Rule})
	}
	table("Rules (how the two vocabularies were made comparable)", []string{"Kind", "Property", "Rule"}, rules)
	_, err := io.WriteString(w, b.String())
	return err
}

// equalNote says how many properties were compared, or that the pair is
// equal by role.
func equalNote(m Match) string {
	if m.Properties == 0 {
		return "by role"
	}
	return fmt.Sprintf("%d equal", m.Properties)
}

func kindOrder(k string) int {
	for i, kk := range kindsList() {
		if kk == k {
			return i
		}
	}
	return len(kindsList())
}

func kindsList() []string {
	var out []string
	for _, k := range entity.Kinds() {
		out = append(out, string(k))
	}
	return out
}
