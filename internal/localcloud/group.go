package localcloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/localcloud/servergroup"
	"github.com/twinstack/twinstack/internal/proc"
	"github.com/twinstack/twinstack/internal/state"
	"github.com/twinstack/twinstack/internal/verify"
)

// HealthScale is how much faster than the model's target group health
// check the local stand-in checks: 15 s interval -> 1 s, 5 s timeout ->
// 333 ms, the thresholds as they are. A dead server is replaced in
// seconds, not minutes.
const HealthScale = 15

// RoleGroup is the record's role of a server group's stand-in
// (`twinstack local group`).
const RoleGroup = "group"

// GroupChildren is the file where the stand-in of deployment dep lists
// the servers it runs (proc.Ref, JSON), so that `local down` can stop by
// PID any it left behind.
func (l Layout) GroupChildren(dep string) string { return l.path("group-" + dep + ".json") }

// startGroup starts the stand-in for the deployment's Auto Scaling group
// (`twinstack local group`): one server per InService instance of the
// group in the emulator, behind a balancer on one loopback port for the
// deployment's lifetime. It returns once the group's desired capacity
// serves.
func (r *run) startGroup(ctx context.Context, name string, sys *constructs.System, dep *state.Deployment, outs map[string]string) error {
	group := outs[constructs.OutputServerGroupName]
	return r.p.step(fmt.Sprintf("start the stand-in of server group %s of %s (servers, ELB health check, load balancer)", group, name), func() (string, error) {
		if group == "" {
			return "", apperr.Errorf(apperr.NotFound, "local up", "%s: no %s output: the server group could not be read back", name, constructs.OutputServerGroupName)
		}
		port, err := proc.FreePort()
		if err != nil {
			return "", err
		}
		url := "http://127.0.0.1:" + strconv.Itoa(port)
		h := sys.LoadBalancer.Health
		scaled := func(sec int) string { return (time.Duration(sec) * time.Second / HealthScale).String() }
		children := r.l.GroupChildren(name)
		args := []string{"local", "group", "--listen", "127.0.0.1:" + strconv.Itoa(port),
			"--group", group, "--endpoint", r.rec.Endpoint, "--region", r.region,
			"--server", r.o.Twinstack, "--name", "server-" + name, "--log-dir", r.l.Logs(),
			"--record", r.l.RecordFile(), "--children", children,
			"--health-interval", scaled(h.IntervalSec), "--health-timeout", scaled(h.TimeoutSec),
			"--unhealthy-threshold", strconv.Itoa(h.UnhealthyThreshold),
			"--ready-timeout", r.o.ReadyTimeout.String()}
		// What every server gets; the stand-in adds HOST, PORT and the
		// instance's id.
		env := Environ(r.o.Environ, map[string]string{
			"IMAGES_BUCKET": dep.Bucket, "IMAGES_TABLE": dep.ImagesTable, "ALBUMS_TABLE": dep.AlbumsTable,
			"AWS_REGION": r.region, "AWS_ENDPOINT_URL": r.rec.Endpoint,
			"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
			"ALLOW_PRIVATE_ORIGINS": "true",
			// The local origin's port, besides the default 80 and 443.
			"ALLOWED_ORIGIN_PORTS": r.originPorts(),
		})
		spec := proc.Spec{Name: "group-" + name, Path: r.o.Twinstack, Args: args, Env: env}
		pr, err := r.startDaemon(ctx, spec, Proc{Role: RoleGroup, Deployment: name, Port: port, URL: url, Children: children}, "")
		if err != nil {
			return "", err
		}
		st, err := waitGroup(ctx, pr, url, sys.Servers.Desired, r.o.ReadyTimeout)
		if err != nil {
			return "", err
		}
		dep.LoadBalancerURL, dep.ServerURL, dep.ServerGroup = url, url, group
		var ids []string
		for _, t := range st.InService() {
			ids = append(ids, t.InstanceID)
		}
		return fmt.Sprintf("%s -> %d servers (%s), stands in for %s", url, len(ids), strings.Join(ids, ", "), outs[constructs.OutputLoadBalancerDNSName]), nil
	})
}

// waitGroup waits until the stand-in serves want servers. Its error names
// the last server that failed and why (with the server's last words).
func waitGroup(ctx context.Context, pr Proc, url string, want int, timeout time.Duration) (servergroup.Status, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last servergroup.Status
	for {
		st, err := GroupStatus(ctx, url)
		if err == nil {
			last = st
			if len(st.InService()) >= want {
				return st, nil
			}
		}
		if !proc.Alive(pr.Ref) {
			return last, apperr.Errorf(apperr.ServerUnreachable, "local up", "%s (pid %d) %v: %s", pr.Name, pr.PID, proc.ErrExited, proc.LogTail(pr.Log, 5))
		}
		select {
		case <-ctx.Done():
			why := "no server failed"
			if n := len(last.Gone); n > 0 {
				g := last.Gone[n-1]
				why = fmt.Sprintf("last failure: %s: %s", g.InstanceID, g.Reason)
			}
			if last.PollError != "" {
				why += "; the group could not be read: " + last.PollError
			}
			return last, apperr.Errorf(apperr.ServerUnreachable, "local up", "the servers of group %s did not become ready: %d of %d in service after %s (%s)",
				last.Group, len(last.InService()), want, timeout, why)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// GroupStatus reads a server group stand-in's status (its servers, the
// balancer's counters, the emulator observations) from its base URL.
func GroupStatus(ctx context.Context, base string) (servergroup.Status, error) {
	var st servergroup.Status
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+servergroup.StatusPath, nil)
	if err != nil {
		return st, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return st, apperr.E(apperr.ServerUnreachable, "group status", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return st, apperr.Errorf(apperr.BadGateway, "group status", "GET %s: %d %s", req.URL, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return st, apperr.E(apperr.BadGateway, "group status", err)
	}
	return st, nil
}

// ServerURLs lists the URLs of the deployment's servers in service now,
// by instance id, from its group's stand-in.
func ServerURLs(ctx context.Context, d *state.Deployment) ([]string, error) {
	if d.LoadBalancerURL == "" {
		return nil, apperr.Errorf(apperr.NotFound, "servers", "%s has no load balancer in the state file", d.Name)
	}
	st, err := GroupStatus(ctx, d.LoadBalancerURL)
	if err != nil {
		return nil, err
	}
	var urls []string
	for _, t := range st.InService() { // sorted by instance id
		urls = append(urls, t.URL)
	}
	return urls, nil
}

// loadChildren reads the servers a stand-in listed (none when the file is
// missing).
func loadChildren(path string) ([]proc.Ref, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var refs []proc.Ref
	if err := json.Unmarshal(b, &refs); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return refs, nil
}

// SaveChildren writes the servers a stand-in runs, atomically.
func SaveChildren(path string, refs []proc.Ref) error {
	if refs == nil {
		refs = []proc.Ref{}
	}
	return writeJSON(path, refs)
}

// GroupHooks are the stand-in's ties to the local cloud that started it
// (servergroup.Config's Parent and OnChildren): it goes on while the
// record at recordFile lists it (pid), and lists its servers in
// childrenFile. `local up` records it right after starting it, so it is
// given a minute to appear; once listed, a record that no longer lists it
// (or is gone) means the local cloud was taken down. Empty paths: no tie.
func GroupHooks(recordFile, childrenFile string, pid int, now func() time.Time) (parent func() bool, onChildren func([]proc.Ref)) {
	if recordFile != "" {
		start, seen := now(), false
		parent = func() bool {
			rec, err := LoadRecord(recordFile)
			switch {
			case err != nil:
				return true // being written: ask again next poll
			case rec == nil:
				return false
			case slices.ContainsFunc(rec.Processes, func(p Proc) bool { return p.PID == pid }):
				seen = true
				return true
			}
			return !seen && now().Sub(start) < time.Minute
		}
	}
	if childrenFile != "" {
		onChildren = func(refs []proc.Ref) { _ = SaveChildren(childrenFile, refs) }
	}
	return parent, onChildren
}

// autoScalingClient is a client for the emulator's Auto Scaling API.
func (r *run) autoScalingClient(ctx context.Context) (*autoscaling.Client, error) {
	cfg, err := verify.AWSConfig(ctx, r.region, r.rec.Endpoint, false)
	if err != nil {
		return nil, err
	}
	return autoscaling.NewFromConfig(cfg), nil
}

// groupObservations measures, after the deploy, what the emulator does
// with the server group that AWS would do otherwise, records each as a
// gap of the deployment and prints it: the launch hook (moto drops it:
// instances are InService at once), an instance refresh (what a
// launch-template change starts; moto answers 500) and the scaling
// policy's alarms (moto creates none, so the policy never scales). What only happens
// while the group runs (no health check replaces a dead server, a
// terminated instance stays registered) the stand-in observes and reports
// (`local status`, `local down`).
func (r *run) groupObservations(ctx context.Context, sys *constructs.System, name, group string, dep *state.Deployment) error {
	return r.p.step("measure what the emulator does with server group "+group, func() (string, error) {
		as, err := r.autoScalingClient(ctx)
		if err != nil {
			return "", err
		}
		typ := map[string]string{state.Terraform: "aws_autoscaling_group", state.CloudFormation: "AWS::AutoScaling::AutoScalingGroup"}[name]
		gap := func(property, detail string) {
			dep.Gaps = append(dep.Gaps, state.Gap{Resource: group, Type: typ, Property: property, Detail: detail, SeenOn: r.rec.MotoVersion})
			r.p.note("emulator observation: %s: %s", property, detail)
		}
		var found []string
		hooks, err := as.DescribeLifecycleHooks(ctx, &autoscaling.DescribeLifecycleHooksInput{AutoScalingGroupName: aws.String(group)})
		if err != nil {
			return "", fmt.Errorf("describe lifecycle hooks of %s: %w", group, err)
		}
		hook := sys.Servers.LaunchHook
		have := slices.ContainsFunc(hooks.LifecycleHooks, func(h astypes.LifecycleHook) bool { return aws.ToString(h.LifecycleHookName) == hook.Name })
		if !have && !hasHookGap(dep.Gaps) {
			found = append(found, "launch hook")
			gap("launch hook "+hook.Name, fmt.Sprintf("DescribeLifecycleHooks lists %d hooks, not %s (%s): instances go InService without waiting for their server; "+
				"locally the stand-in puts a server behind the balancer only once its /readyz answers, which is what the hook's CONTINUE waits for", len(hooks.LifecycleHooks), hook.Name, hook.Transition))
		}
		// One try: an SDK retry of a 500 only repeats the answer.
		_, err = as.StartInstanceRefresh(ctx, &autoscaling.StartInstanceRefreshInput{AutoScalingGroupName: aws.String(group)},
			func(o *autoscaling.Options) { o.RetryMaxAttempts = 1 })
		if err == nil {
			// An emulator that does refresh: leave the group as deployed.
			_, _ = as.CancelInstanceRefresh(ctx, &autoscaling.CancelInstanceRefreshInput{AutoScalingGroupName: aws.String(group)})
		} else {
			found = append(found, "instance refresh")
			gap("instance refresh", fmt.Sprintf("StartInstanceRefresh answers %s: a launch-template change cannot roll out on the emulator "+
				"(Terraform's instance_refresh calls it after updating the group; CloudFormation's rolling update replaces instances itself); not exercised locally", apiFailure(err)))
		}
		// Target tracking acts through the two CloudWatch alarms Auto
		// Scaling creates with the policy (high and low); a policy without
		// them never moves the desired capacity.
		pols, err := as.DescribePolicies(ctx, &autoscaling.DescribePoliciesInput{AutoScalingGroupName: aws.String(group), PolicyTypes: []string{targetTracking}})
		if err != nil {
			return "", fmt.Errorf("describe policies of %s: %w", group, err)
		}
		for _, p := range pols.ScalingPolicies {
			if len(p.Alarms) == 0 {
				found = append(found, "scaling alarms")
				gap("scaling policy alarms", fmt.Sprintf("DescribePolicies lists the %s policy %s with no alarms (AWS creates a high and a low CloudWatch alarm for it): "+
					"the policy never moves the desired capacity on the emulator; locally a change of capacity is made through the API (SetDesiredCapacity), which the stand-in follows",
					targetTracking, aws.ToString(p.PolicyName)))
			}
		}
		if len(found) == 0 {
			return "no difference found", nil
		}
		return strings.Join(found, ", ") + " not as on AWS (recorded as emulator gaps)", nil
	})
}

// targetTracking is the scaling policy type of the model's policy.
const targetTracking = constructs.ScalingPolicyType

// hasHookGap reports whether verify already recorded the group's launch
// hook as an emulator gap (its property is the toolchain's:
// LifecycleHookSpecificationList, initial_lifecycle_hook).
func hasHookGap(gaps []state.Gap) bool {
	return slices.ContainsFunc(gaps, func(g state.Gap) bool { return strings.Contains(strings.ToLower(g.Property), "hook") })
}

// apiFailure is an API error as its HTTP status and error code.
func apiFailure(err error) string {
	status := ""
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		status = "HTTP " + strconv.Itoa(re.HTTPStatusCode()) + " "
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return status + ae.ErrorCode()
	}
	return status + "(no error code)"
}
