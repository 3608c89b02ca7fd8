package verify

import (
	"context"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/emugaps"
)

// Status is the verdict of one check.
type Status string

const (
	// OK: the deployed value equals the model's.
	OK Status = "ok"
	// Patched: the emulator was observed producing exactly what a gap
	// entry describes; the model's value was set through the API and a
	// re-check found it equal.
	Patched Status = "patched"
	// Unverified: the emulator was observed producing exactly what a gap
	// entry (or a recorded local workaround) describes, and the value was
	// not patched: the deployment's intent cannot be confirmed here. Also
	// a setting the AWS API does not expose at all (a rolling-update
	// policy): the resource exists, and the note says where the setting
	// is compared instead.
	Unverified Status = "unverified"
	// Drift: the deployed value differs from the model's.
	Drift Status = "drift"
	// Missing: the resource or setting does not exist.
	Missing Status = "missing"
	// Error: the API call failed, or a patch failed.
	Error Status = "error"
)

// Result is one check's outcome. Got is nil when nothing was found or the
// read failed.
type Result struct {
	ID       string  `json:"id"`
	Resource string  `json:"resource"` // model node id
	Property string  `json:"property"`
	Status   Status  `json:"status"`
	Want     string  `json:"want"`
	Got      *string `json:"got"`
	Gap      string  `json:"gap"` // the gap entry's id, or empty
	Note     string  `json:"note"`
	// Entry is the gap entry that decided the verdict, if any.
	Entry *emugaps.Gap `json:"-"`
	// Unreadable marks a setting the API does not expose: nothing was
	// read back (Got is nil) and Note says why.
	Unreadable bool `json:"-"`
}

// got returns the value read back, or "" when there is none.
func (r Result) got() string {
	if r.Got == nil {
		return ""
	}
	return *r.Got
}

// Observation is what the check saw, as a gap entry states it: the value
// read back, or emugaps.NotFound.
func (r Result) Observation() string {
	if r.Got == nil {
		return emugaps.NotFound
	}
	return *r.Got
}

// Counts is the summary of a report.
type Counts struct {
	Total      int `json:"total"`
	OK         int `json:"ok"`
	Patched    int `json:"patched"`
	Unverified int `json:"unverified"`
	Drift      int `json:"drift"`
	Missing    int `json:"missing"`
	Error      int `json:"error"`
}

// GapFinding is a problem of the gap file found by a run: an entry that no
// longer reproduces (stale), or one that reproduces on an emulator version
// other than the one it names (outdated: update seen_on).
type GapFinding struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"` // "stale" or "outdated"
	Detail string `json:"detail"`
}

// Report is the outcome of a verification; its JSON form is the output of
// `twinstack verify --format json`.
type Report struct {
	Deployment string       `json:"deployment"`
	Emulator   string       `json:"emulator"` // "moto 5.2.1"; empty against AWS
	Summary    Counts       `json:"summary"`
	Results    []Result     `json:"results"`
	GapFile    []GapFinding `json:"gap_file,omitempty"`
}

// count fills Summary from Results.
func (r *Report) count() {
	c := Counts{Total: len(r.Results)}
	for _, x := range r.Results {
		switch x.Status {
		case OK:
			c.OK++
		case Patched:
			c.Patched++
		case Unverified:
			c.Unverified++
		case Drift:
			c.Drift++
		case Missing:
			c.Missing++
		default:
			c.Error++
		}
	}
	r.Summary = c
}

// Exit statuses of a verification.
const (
	ExitOK         = 0 // every check ok or patched
	ExitDrift      = 1 // drift or missing
	ExitError      = 2 // a check could not be decided (API error, failed patch)
	ExitUnverified = 3 // nothing wrong found, but some checks unverified
)

// ExitCode is the exit status for the report: a difference found outranks
// an error (the deployment is known not to conform), an error outranks
// unverified checks.
func (r *Report) ExitCode() int {
	s := r.Summary
	switch {
	case s.Drift+s.Missing > 0:
		return ExitDrift
	case s.Error > 0:
		return ExitError
	case s.Unverified > 0:
		return ExitUnverified
	}
	return ExitOK
}

// Failed lists the results that fail verification (drift, missing, error).
func (r *Report) Failed() []Result {
	var out []Result
	for _, x := range r.Results {
		switch x.Status {
		case Drift, Missing, Error:
			out = append(out, x)
		}
	}
	return out
}

// Workaround is a change the local cloud made to a deployment for the
// emulator's sake after verifying it (a labelled step of `local up`).
// Checks it covers that observe exactly Observed are unverified, not drift.
type Workaround struct {
	Step     string `json:"step"`
	Check    string `json:"check"` // path.Match pattern over check ids
	Observed string `json:"observed"`
}

// Options configure Run.
type Options struct {
	// Deployment is "terraform" or "cloudformation": it selects the gap
	// list entries and names the report.
	Deployment string
	// Gaps is the emulator gap list; nil against a real account.
	Gaps *emugaps.List
	// Emulator describes the emulator ("moto 5.2.1") when there is one;
	// EmulatorVersion is its version, compared with the entries' SeenOn.
	Emulator        string
	EmulatorVersion string
	// Patch sets the model's value through the API where the observation
	// matches a gap entry that allows it, and checks again.
	Patch bool
	// Inventory maps model node ids to physical ids read from the
	// deployment (CloudFormation stack resources, Terraform state). Nodes
	// it lacks are found by the names the model gives them.
	Inventory map[constructs.ID]string
	// Declared is the deployment tool's record, for what only it keeps
	// (the rolling update); nil: those checks are unverified.
	Declared *Declared
	// FunctionZip is the Lambda's code (build/lambda.zip), needed to patch
	// its architecture, which the API changes only together with the code.
	FunctionZip string
	// PatchedBefore maps checks an earlier run patched (local up) to the
	// gap entry it patched: when they pass now they are reported as
	// patched.
	PatchedBefore map[string]string
	// Workarounds are the local cloud's recorded workarounds.
	Workarounds []Workaround
	// Progress, when set, receives each result line as it is decided.
	Progress io.Writer
}

// check is one comparison of one property of one resource. get returns
// what is deployed, or found=false.
type check struct {
	id       string
	resource constructs.ID
	property string
	want     string
	// wantFn, when set, resolves want against the deployment (references
	// such as the load balancer's DNS name).
	wantFn func(ctx context.Context) (string, error)
	get    func(ctx context.Context) (got string, found bool, err error)
	// patch sets the model's value through the API, exactly: extras are
	// removed as well as missing parts added (nil: cannot).
	patch func(ctx context.Context) error
	// unreadable, when set, says why the property cannot be read through
	// the API at all: once get finds the resource, the result is
	// unverified with this note, never ok by silence.
	unreadable string
	// within, when set, accepts a got other than want: a value the model
	// allows to move (a group's desired capacity between its min and max).
	within func(got string) bool
}

// checkSets lists the functions that build the checks, in report order. A
// new check file adds its function here.
func checkSets() []func(*reader) []check {
	return []func(*reader) []check{
		bucketChecks,
		lifecycleChecks,
		tableChecks,
		ttlChecks,
		networkChecks,
		groupChecks,
		roleChecks,
		loadBalancerChecks,
		launchTemplateChecks,
		serverGroupChecks,
		functionChecks,
		concurrencyChecks,
		logGroupChecks,
	}
}

func buildChecks(r *reader) []check {
	var cs []check
	for _, f := range checkSets() {
		cs = append(cs, f(r)...)
	}
	return cs
}

// CheckIDs lists the ids of the checks verify runs for sys, in order.
func CheckIDs(sys *constructs.System) []string {
	r := &reader{sys: sys, memo: map[string]memoEntry{}}
	var ids []string
	for _, ck := range buildChecks(r) {
		ids = append(ids, ck.id)
	}
	return ids
}

// Run checks the deployed system against sys.
func Run(ctx context.Context, c *Clients, sys *constructs.System, opts Options) (*Report, error) {
	r, err := newReader(ctx, c, sys, opts.Inventory)
	if err != nil {
		return nil, err
	}
	r.functionZip = opts.FunctionZip
	r.deployment, r.declared = opts.Deployment, opts.Declared
	return runChecks(ctx, r, buildChecks(r), opts), nil
}

// runChecks decides every check in three passes: read every property
// first (so that one patch cannot change what another check observes
// before it is recorded), then apply the patches of results whose
// observation matches a patchable gap entry, then re-check those. It also
// reviews the gap file against what was observed.
func runChecks(ctx context.Context, r *reader, checks []check, opts Options) *Report {
	rep := &Report{Deployment: opts.Deployment, Emulator: opts.Emulator, Results: make([]Result, len(checks))}
	covered := map[*emugaps.Gap]bool{}
	var toPatch []int
	for i, ck := range checks {
		for _, g := range opts.Gaps.Covering(opts.Deployment, ck.id) {
			covered[g] = true
		}
		res, patch := decide(runCheck(ctx, ck), opts, ck.patch != nil)
		rep.Results[i] = res
		if patch {
			toPatch = append(toPatch, i)
		}
	}
	var patched []int
	for _, i := range toPatch {
		r.forget()
		res := &rep.Results[i]
		if err := checks[i].patch(ctx); err != nil {
			res.Status = Error
			res.Note = fmt.Sprintf("emulator gap (seen on %s): moto left %s; the patch through the API failed: %v", res.Entry.SeenOn, shown(res.Observation()), err)
			continue
		}
		patched = append(patched, i)
	}
	r.forget()
	for _, i := range patched {
		res := &rep.Results[i]
		again := runCheck(ctx, checks[i])
		if again.Status == OK {
			res.Note = fmt.Sprintf("emulator gap (seen on %s): moto left %s; set through the API and re-verified", res.Entry.SeenOn, shown(res.Observation()))
			res.Status, res.Got = Patched, again.Got
			continue
		}
		res.Note = fmt.Sprintf("emulator gap (seen on %s): moto left %s; patched through the API, but the re-check finds %s %s", res.Entry.SeenOn, shown(res.Observation()), again.Status, shown(again.Observation()))
		if again.Note != "" {
			res.Note += ": " + again.Note
		}
		res.Got = again.Got
		switch again.Status {
		case Missing, Error:
			res.Status = again.Status
		default:
			res.Status = Drift
		}
	}
	observed := map[*emugaps.Gap]bool{}
	for _, res := range rep.Results {
		if res.Entry != nil {
			observed[res.Entry] = true
		}
		if opts.Progress != nil {
			fmt.Fprintln(opts.Progress, Line(res))
		}
	}
	if opts.Gaps != nil {
		for i := range opts.Gaps.Gaps {
			g := &opts.Gaps.Gaps[i]
			switch {
			case covered[g] && !observed[g]:
				rep.GapFile = append(rep.GapFile, GapFinding{ID: g.ID, Kind: "stale",
					Detail: fmt.Sprintf("no check matching %s observed %s on %s (entry seen on %s): re-test, then remove or correct the entry", g.Check, shown(g.Observed), orDefault(opts.Emulator, "the emulator"), g.SeenOn)})
			case observed[g] && opts.EmulatorVersion != "" && emugaps.CompareVersions(g.SeenOn, opts.EmulatorVersion) != 0:
				rep.GapFile = append(rep.GapFile, GapFinding{ID: g.ID, Kind: "outdated",
					Detail: fmt.Sprintf("re-tested on %s: still observed, but the entry says seen on %s: update seen_on", opts.EmulatorVersion, g.SeenOn)})
			}
		}
		if opts.Progress != nil {
			for _, f := range rep.GapFile {
				fmt.Fprintf(opts.Progress, "%-10s %-52s %s\n", "gap "+f.Kind, f.ID, f.Detail)
			}
		}
	}
	rep.count()
	return rep
}

// runCheck reads one property and compares it with the model.
func runCheck(ctx context.Context, ck check) Result {
	res := Result{ID: ck.id, Resource: string(ck.resource), Property: ck.property, Want: ck.want}
	got, found, err := ck.get(ctx)
	if err == nil && found && ck.wantFn != nil {
		w, werr := ck.wantFn(ctx)
		if werr != nil {
			res.Status, res.Note = Error, "resolve the model's value: "+werr.Error()
			return res
		}
		res.Want = w
	} else if ck.wantFn != nil {
		if w, werr := ck.wantFn(ctx); werr == nil {
			res.Want = w
		}
	}
	switch {
	case err != nil:
		res.Status, res.Note = Error, err.Error()
	case !found:
		res.Status = Missing
	case ck.unreadable != "":
		res.Status, res.Note, res.Unreadable = Unverified, ck.unreadable, true
	case got != res.Want && (ck.within == nil || !ck.within(got)):
		res.Status, res.Got = Drift, &got
	default:
		res.Status, res.Got = OK, &got
	}
	return res
}

// decide gives a first-pass result its verdict, and says whether it is to
// be patched. A gap entry or a recorded workaround applies only when the
// observation equals the one it states; anything else stays drift or
// missing.
func decide(res Result, opts Options, patchable bool) (Result, bool) {
	ck := res.ID
	if res.Status == OK {
		if gid, ok := opts.PatchedBefore[ck]; ok {
			for _, g := range opts.Gaps.Covering(opts.Deployment, ck) {
				if g.ID == gid {
					res.Status, res.Gap, res.Entry = Patched, g.ID, g
					res.Note = fmt.Sprintf("emulator gap (seen on %s): moto left %s; set through the API by local up", g.SeenOn, shown(g.Observed))
				}
			}
		}
		return res, false
	}
	if res.Status != Drift && res.Status != Missing {
		return res, false
	}
	obs := res.Observation()
	if gid, ok := opts.PatchedBefore[ck]; ok {
		// local up already set the model's value: the emulator does not
		// revert it by itself, so any difference now, even one equal to
		// the gap's observation, happened since.
		res.Note = fmt.Sprintf("local up patched emulator gap %s here; the value has changed since", gid)
		return res, false
	}
	for _, w := range opts.Workarounds {
		if ok, _ := path.Match(w.Check, ck); ok && w.Observed == obs {
			res.Status = Unverified
			res.Note = fmt.Sprintf("local workaround %q changed it after it was verified", w.Step)
			return res, false
		}
	}
	g := opts.Gaps.Find(opts.Deployment, ck, obs)
	if g == nil {
		if cov := opts.Gaps.Covering(opts.Deployment, ck); len(cov) > 0 {
			var ids []string
			for _, c := range cov {
				ids = append(ids, fmt.Sprintf("%s observes %s", c.ID, shown(c.Observed)))
			}
			res.Note = "not an emulator gap: " + strings.Join(ids, ", ")
		}
		return res, false
	}
	res.Gap, res.Entry = g.ID, g
	if opts.Patch && g.Patch && patchable {
		return res, true
	}
	why := "not patchable"
	if g.Patch && patchable {
		why = "patching off"
	}
	res.Status = Unverified
	res.Note = fmt.Sprintf("emulator gap (seen on %s, %s): %s", g.SeenOn, why, g.Note)
	return res, false
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
	fmt.Fprintf(&b, "%-10s %-52s ", r.Status, r.ID)
	switch r.Status {
	case OK:
		b.WriteString(r.got())
	case Missing:
		fmt.Fprintf(&b, "want %s, not found", quote(r.Want))
	case Drift:
		fmt.Fprintf(&b, "want %s, got %s", quote(r.Want), quote(r.got()))
	case Error:
	case Patched:
		b.WriteString(r.got())
	case Unverified:
		if r.Unreadable {
			fmt.Fprintf(&b, "want %s", quote(r.Want))
		} else {
			fmt.Fprintf(&b, "want %s, got %s", quote(r.Want), shown(r.Observation()))
		}
	}
	if r.Note != "" {
		if r.Status != Error {
			b.WriteString(" ")
		}
		if r.Gap != "" {
			fmt.Fprintf(&b, "[%s] ", r.Gap)
		}
		if r.Status == Error {
			b.WriteString(r.Note)
		} else {
			b.WriteString("(" + r.Note + ")")
		}
	}
	return strings.TrimRight(b.String(), " ")
}

// shown is an observation as notes print it.
func shown(obs string) string {
	if obs == emugaps.NotFound {
		return "nothing"
	}
	return quote(obs)
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

// Verdict is the one-line summary: "conforms on 74 of 79 checks; 4 patched
// emulator gaps; 1 unverified (function.architecture: moto stores x86_64)".
// It says "conforms" without a qualifier only when every check is ok.
func (r *Report) Verdict() string {
	s := r.Summary
	var parts []string
	switch {
	case s.Total == 0:
		parts = append(parts, "no checks")
	case s.OK == s.Total:
		parts = append(parts, fmt.Sprintf("conforms on all %d checks", s.Total))
	default:
		parts = append(parts, fmt.Sprintf("conforms on %d of %d checks", s.OK, s.Total))
	}
	if s.Patched > 0 {
		parts = append(parts, plural(s.Patched, "patched emulator gap", "patched emulator gaps"))
	}
	list := func(st Status, withNote bool) string {
		var ids []string
		for _, x := range r.Results {
			if x.Status != st {
				continue
			}
			if withNote {
				ids = append(ids, x.ID+": "+shortNote(x))
			} else {
				ids = append(ids, x.ID)
			}
		}
		return strings.Join(ids, "; ")
	}
	if s.Unverified > 0 {
		parts = append(parts, fmt.Sprintf("%d unverified (%s)", s.Unverified, list(Unverified, true)))
	}
	if s.Drift > 0 {
		parts = append(parts, fmt.Sprintf("%d drift (%s)", s.Drift, list(Drift, false)))
	}
	if s.Missing > 0 {
		parts = append(parts, fmt.Sprintf("%d missing (%s)", s.Missing, list(Missing, false)))
	}
	if s.Error > 0 {
		parts = append(parts, plural(s.Error, "error", "errors")+" ("+list(Error, false)+")")
	}
	if len(r.GapFile) > 0 {
		var ids []string
		for _, f := range r.GapFile {
			ids = append(ids, f.ID+" "+f.Kind)
		}
		parts = append(parts, "gap file: "+strings.Join(ids, ", "))
	}
	return r.Deployment + ": " + strings.Join(parts, "; ")
}

// shortNote is what an unverified result's summary says: what the
// emulator left ("moto leaves x86_64"), or the workaround. It reads only
// fields that JSON carries, so a decoded report gives the same verdict.
func shortNote(x Result) string {
	if x.Gap == "" {
		return x.Note
	}
	if x.Got == nil {
		return "moto creates none"
	}
	return "moto leaves " + quote(*x.Got)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
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
