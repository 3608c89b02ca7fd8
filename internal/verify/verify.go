package verify

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/emugaps"
)

// Status is the outcome of one check.
type Status string

const (
	OK        Status = "ok"
	Missing   Status = "missing"
	Different Status = "different"
	Failed    Status = "error"        // the API call failed
	Gap       Status = "emulator gap" // failed, and listed as an emulator gap
	Patched   Status = "patched"      // an emulator gap applied through the API; passes now
)

// Result is one check's outcome.
type Result struct {
	Check    string       `json:"check"`
	Resource string       `json:"resource"` // model node id
	Status   Status       `json:"status"`
	Want     string       `json:"want,omitempty"`
	Got      string       `json:"got,omitempty"`
	Detail   string       `json:"detail,omitempty"`
	Gap      *emugaps.Gap `json:"gap,omitempty"`
	First    Status       `json:"first,omitempty"` // status before patching
}

// Pass reports whether the result does not fail verification: ok, stale,
// patched, or a listed emulator gap.
func (r Result) Pass() bool {
	switch r.Status {
	case OK, Patched, Gap:
		return true
	}
	return false
}

// Report is the outcome of a verification.
type Report struct {
	Deployment string   `json:"deployment"`
	Emulator   string   `json:"emulator,omitempty"` // "moto 5.2.1"; empty against AWS
	Results    []Result `json:"results"`
	// StaleGaps are gap entries for this deployment whose every matching
	// check passed without patching: the emulator has closed the gap.
	StaleGaps []emugaps.Gap `json:"stale_gaps,omitempty"`
}

// Failed lists the results that fail verification.
func (r *Report) Failed() []Result {
	var out []Result
	for _, x := range r.Results {
		if !x.Pass() {
			out = append(out, x)
		}
	}
	return out
}

// Count counts results by status.
func (r *Report) Count() map[Status]int {
	m := map[Status]int{}
	for _, x := range r.Results {
		m[x.Status]++
	}
	return m
}

// Options configure Run.
type Options struct {
	// Deployment is "terraform" or "cloudformation": it selects the gap
	// list entries and names the report.
	Deployment string
	// Gaps is the emulator gap list; nil against a real account.
	Gaps *emugaps.List
	// Emulator describes the emulator ("moto 5.2.1") when there is one;
	// EmulatorVersion is its version, compared with the gaps' SeenOn.
	Emulator        string
	EmulatorVersion string
	// Patch applies the settings of failing listed gaps through the API
	// and checks again.
	Patch bool
	// Inventory maps model node ids to physical ids read from the
	// deployment (CloudFormation stack resources, Terraform state). Nodes
	// it lacks are found by the names the model gives them.
	Inventory map[constructs.ID]string
	// FunctionZip is the Lambda's code (build/lambda.zip), needed to patch
	// its architecture, which the API changes only together with the code.
	FunctionZip string
	// PatchedBefore lists checks an earlier run patched (local up): when
	// they pass now they are reported as patched, not as stale gaps.
	PatchedBefore map[string]bool
	// Progress, when set, receives each result line as it is decided.
	Progress io.Writer
}

// check is one comparison. get returns what is deployed, or found=false.
type check struct {
	id       string
	resource constructs.ID
	want     string
	// wantFn, when set, resolves want against the deployment (references
	// such as the load balancer's DNS name).
	wantFn func(ctx context.Context) (string, error)
	get    func(ctx context.Context) (got string, found bool, err error)
	// patch applies the wanted setting through the API (nil: cannot).
	patch func(ctx context.Context) error
}

// Run checks the deployed system against sys.
func Run(ctx context.Context, c *Clients, sys *constructs.System, opts Options) (*Report, error) {
	r, err := newReader(ctx, c, sys, opts.Inventory)
	if err != nil {
		return nil, err
	}
	r.functionZip = opts.FunctionZip
	return runChecks(ctx, r, buildChecks(r), opts), nil
}

// runChecks runs checks in order, applies the gap list and finds stale
// gap entries.
func runChecks(ctx context.Context, r *reader, checks []check, opts Options) *Report {
	rep := &Report{Deployment: opts.Deployment, Emulator: opts.Emulator}
	// Per gap entry: matched at least once, and failed at least once.
	matched, failed := map[*emugaps.Gap]bool{}, map[*emugaps.Gap]bool{}
	for _, ck := range checks {
		res := runCheck(ctx, ck)
		if opts.Gaps != nil {
			if g := opts.Gaps.Find(opts.Deployment, ck.id); g != nil {
				matched[g] = true
				if res.Status != OK {
					failed[g] = true
				} else if opts.PatchedBefore[ck.id] {
					failed[g] = true
					res.Status, res.Gap, res.First = Patched, g, "patched earlier"
				}
			}
			if res.Status != Patched {
				res = applyGap(ctx, r, ck, res, opts)
			}
		}
		rep.Results = append(rep.Results, res)
		if opts.Progress != nil {
			fmt.Fprintln(opts.Progress, Line(res))
		}
	}
	if opts.Gaps != nil {
		for i := range opts.Gaps.Gaps {
			g := &opts.Gaps.Gaps[i]
			if matched[g] && !failed[g] {
				rep.StaleGaps = append(rep.StaleGaps, *g)
				if opts.Progress != nil {
					fmt.Fprintf(opts.Progress, "%-14s %-58s every matching check passed on %s (gap seen on %s): remove the entry\n", "stale gap", g.Check, orDefault(opts.Emulator, "the emulator"), g.SeenOn)
				}
			}
		}
	}
	return rep
}

func runCheck(ctx context.Context, ck check) Result {
	res := Result{Check: ck.id, Resource: string(ck.resource), Want: ck.want}
	if ck.wantFn != nil {
		w, err := ck.wantFn(ctx)
		if err != nil {
			w = "(unresolved: " + err.Error() + ")"
		}
		res.Want = w
	}
	got, found, err := ck.get(ctx)
	switch {
	case err != nil:
		res.Status, res.Detail = Failed, err.Error()
	case !found:
		res.Status = Missing
	case got != res.Want:
		res.Status, res.Got = Different, got
	default:
		res.Status, res.Got = OK, got
	}
	return res
}

func applyGap(ctx context.Context, r *reader, ck check, res Result, opts Options) Result {
	g := opts.Gaps.Find(opts.Deployment, ck.id)
	if g == nil {
		return res
	}
	if res.Status == OK {
		return res
	}
	res.Gap = g
	if res.Status == Failed && !isNotFound(res.Detail) {
		return res // an API failure is not a gap
	}
	res.First = res.Status
	if !opts.Patch || ck.patch == nil || !g.Patch {
		res.Status = Gap
		return res
	}
	if err := ck.patch(ctx); err != nil {
		res.Status = Gap
		res.Detail = "patch failed: " + err.Error()
		return res
	}
	r.forget()
	again := runCheck(ctx, ck)
	if again.Status == OK {
		res.Status, res.Got = Patched, again.Got
		return res
	}
	res.Status = Gap
	res.Detail = fmt.Sprintf("patched through the API, still %s (got %q)", again.Status, again.Got)
	return res
}

func isNotFound(s string) bool {
	s = strings.ToLower(s)
	return strings.Contains(s, "notfound") || strings.Contains(s, "not found") || strings.Contains(s, "nosuch") || strings.Contains(s, "does not exist")
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// Line formats one result: status, check, values.
func Line(r Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-14s %-58s ", r.Status, r.Check)
	switch r.Status {
	case OK:
		b.WriteString(r.Got)
	case Missing:
		fmt.Fprintf(&b, "want %s, not found", quote(r.Want))
	case Different:
		fmt.Fprintf(&b, "want %s, got %s", quote(r.Want), quote(r.Got))
	case Failed:
		b.WriteString(r.Detail)
	case Gap:
		fmt.Fprintf(&b, "want %s, %s", quote(r.Want), gotText(r))
		fmt.Fprintf(&b, " (known %s gap, seen on %s", "emulator", r.Gap.SeenOn)
		if r.Detail != "" {
			b.WriteString("; " + r.Detail)
		}
		b.WriteString(")")
	case Patched:
		if r.First == "patched earlier" {
			fmt.Fprintf(&b, "%s (emulator gap seen on %s, applied through the API by local up)", r.Got, r.Gap.SeenOn)
			break
		}
		fmt.Fprintf(&b, "%s (emulator gap seen on %s: was %s, applied through the API)", r.Got, r.Gap.SeenOn, r.First)
	}
	return strings.TrimRight(b.String(), " ")
}

func gotText(r Result) string {
	if r.First == Missing || (r.First == "" && r.Got == "") {
		return "not found"
	}
	return "got " + quote(r.Got)
}

func quote(s string) string {
	if s == "" {
		return `""`
	}
	if strings.ContainsAny(s, " ,") {
		return "[" + s + "]"
	}
	return s
}

// Summary is a one-line count of the results.
func (r *Report) Summary() string {
	c := r.Count()
	keys := []Status{OK, Patched, Gap, Missing, Different, Failed}
	var parts []string
	for _, k := range keys {
		if c[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[k], k))
		}
	}
	if len(r.StaleGaps) > 0 {
		parts = append(parts, fmt.Sprintf("%d stale gap entries", len(r.StaleGaps)))
	}
	verdict := "conforms to the model"
	if n := len(r.Failed()); n > 0 {
		verdict = fmt.Sprintf("%d difference(s) from the model", n)
	}
	return fmt.Sprintf("%s: %d checks: %s: %s", r.Deployment, len(r.Results), strings.Join(parts, ", "), verdict)
}

// sortedSet joins the unique, sorted, non-empty items with ", ".
func sortedSet(items []string) string {
	m := map[string]bool{}
	for _, s := range items {
		if s != "" {
			m[s] = true
		}
	}
	out := make([]string, 0, len(m))
	for s := range m {
		out = append(out, s)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
