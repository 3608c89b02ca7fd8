package localcloud

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/twinstack/twinstack/internal/moto"
	"github.com/twinstack/twinstack/internal/proc"
	"github.com/twinstack/twinstack/internal/state"
)

// fakeToolchain deploys nothing: the bucket and tables it reports are
// created in moto by the test.
type fakeToolchain struct {
	NoHooks
	mu        sync.Mutex
	deployErr error
	outputs   map[string]string
	destroyed int
	tpl       string
}

func (f *fakeToolchain) Synth(context.Context) (string, error) { return f.tpl, nil }
func (f *fakeToolchain) Deploy(context.Context) error          { return f.deployErr }
func (f *fakeToolchain) Destroy(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.destroyed++
	return nil
}
func (f *fakeToolchain) Outputs(context.Context) (map[string]string, error) { return f.outputs, nil }

// buildTwinstack builds the CLI once per test binary run.
var buildOnce struct {
	sync.Once
	path string
	err  error
}

func twinstackBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "twinstack-bin-")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.path = filepath.Join(dir, "twinstack")
		out, err := exec.Command("go", "build", "-o", buildOnce.path, "github.com/twinstack/twinstack/cmd/twinstack").CombinedOutput()
		if err != nil {
			buildOnce.err = errors.New(string(out))
		}
	})
	if buildOnce.err != nil {
		t.Fatalf("build twinstack: %v", buildOnce.err)
	}
	return buildOnce.path
}

// wrapper writes a script that runs the real twinstack, except `serve`,
// which it replaces by body.
func wrapper(t *testing.T, real, serveBody string) string {
	p := filepath.Join(t.TempDir(), "twinstack")
	script := "#!/bin/sh\nif [ \"$1\" = serve ]; then\n" + serveBody + "\nfi\nexec " + real + " \"$@\"\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

type harness struct {
	root  string
	out   *bytes.Buffer
	moto  *moto.Server
	fakes map[string]*fakeToolchain
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	if testing.Short() {
		t.Skip("starts processes; skipped with -short")
	}
	m := moto.StartT(t)
	h := &harness{root: t.TempDir(), out: &bytes.Buffer{}, moto: m, fakes: map[string]*fakeToolchain{}}
	tpl := filepath.Join(h.root, "template.json")
	os.WriteFile(tpl, []byte(`{"Resources":{"A":{},"B":{}}}`), 0o644)
	for _, name := range []string{state.Terraform, state.CloudFormation} {
		n := moto.Names{Bucket: Prefixes[name] + "-images", ImagesTable: Prefixes[name] + "-images", AlbumsTable: Prefixes[name] + "-albums"}
		if err := m.CreateStore(context.Background(), n); err != nil {
			t.Fatal(err)
		}
		h.fakes[name] = &fakeToolchain{tpl: tpl, outputs: map[string]string{"BucketName": n.Bucket, "ImagesTableName": n.ImagesTable, "AlbumsTableName": n.AlbumsTable}}
		// The server group, as the stacks make it (its name is the
		// model's, which is what fillOutputs falls back to).
		createServerGroup(t, m.Endpoint(), Prefixes[name]+"-servers", 2)
	}
	t.Cleanup(func() {
		// Whatever a test left behind is stopped here, by the record.
		Down(context.Background(), h.opts(nil))
		if t.Failed() {
			t.Logf("output:\n%s", h.out.String())
		}
	})
	return h
}

func (h *harness) opts(tw *string) Options {
	o := Options{Root: h.root, Instances: 2, Endpoint: h.moto.Endpoint(), SkipVerify: true, Patch: true,
		Environ: os.Environ(), Getenv: os.Getenv, Out: h.out, ReadyTimeout: 5 * time.Second,
		Bootstrap: "/bin/true", RIE: "/bin/true", Toolchains: map[string]Toolchain{}}
	for k, v := range h.fakes {
		o.Toolchains[k] = v
	}
	if tw != nil {
		o.Twinstack = *tw
	}
	return o
}

// assertClean checks that no process of the record is alive and that no
// record or state file is left.
func assertClean(t *testing.T, root string, procs []Proc) {
	t.Helper()
	for _, p := range procs {
		if p.Role == "moto" {
			continue
		}
		if proc.Alive(p.Ref) {
			t.Errorf("%s (pid %d) still runs", p.Name, p.PID)
		}
		if p.Port != 0 && proc.Listening(p.Port) {
			t.Errorf("port %d of %s still answers", p.Port, p.Name)
		}
	}
	for _, f := range []string{Layout{root}.RecordFile(), Layout{root}.StateFile()} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s left behind", f)
		}
	}
}

// recorded spies on the record file (and the servers the group
// stand-ins list) while Up runs, so that a test can check every process
// ever started.
func recorded(t *testing.T, root string, stop <-chan struct{}) func() []Proc {
	var mu sync.Mutex
	seen := map[int]Proc{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if r, _ := LoadRecord(Layout{root}.RecordFile()); r != nil {
				mu.Lock()
				for _, p := range r.Processes {
					seen[p.PID] = p
					kids, _ := loadChildren(p.Children)
					for _, k := range kids {
						seen[k.PID] = Proc{Ref: k, Role: "server", Deployment: p.Deployment}
					}
				}
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() []Proc {
		<-done
		mu.Lock()
		defer mu.Unlock()
		var out []Proc
		for _, p := range seen {
			out = append(out, p)
		}
		return out
	}
}

func TestUpFailsCleanlyWhenServerNeverReady(t *testing.T) {
	h := newHarness(t)
	tw := wrapper(t, twinstackBinary(t), "exec sleep 60")
	stop := make(chan struct{})
	procs := recorded(t, h.root, stop)
	_, err := Up(context.Background(), h.opts(&tw))
	close(stop)
	if err == nil || !strings.Contains(err.Error(), "did not become ready") {
		t.Fatalf("err = %v, want servers that did not become ready", err)
	}
	ps := procs()
	roles := map[string]int{}
	for _, p := range ps {
		roles[p.Role]++
	}
	// The group's two instances each got a server (the stand-in's), and
	// nothing else of the deployment started.
	if roles["origin"] != 1 || roles[RoleGroup] != 1 || roles["server"] < 2 || len(roles) != 3 {
		t.Fatalf("started %v, want the origin, one group stand-in and its servers", roles)
	}
	assertClean(t, h.root, ps)
	if h.fakes[state.Terraform].destroyed != 1 {
		t.Errorf("terraform destroyed %d times, want 1", h.fakes[state.Terraform].destroyed)
	}
	if !strings.Contains(h.out.String(), "local up failed") {
		t.Errorf("no failure line in output:\n%s", h.out)
	}
}

func TestUpFailsCleanlyWhenServerExits(t *testing.T) {
	h := newHarness(t)
	tw := wrapper(t, twinstackBinary(t), "echo 'IMAGES_BUCKET: bucket not found' >&2; exit 1")
	stop := make(chan struct{})
	procs := recorded(t, h.root, stop)
	_, err := Up(context.Background(), h.opts(&tw))
	close(stop)
	if err == nil || !strings.Contains(err.Error(), "bucket not found") {
		t.Fatalf("err = %v, want the server's own last words", err)
	}
	assertClean(t, h.root, procs())
}

func TestUpFailsCleanlyWhenDeployFails(t *testing.T) {
	h := newHarness(t)
	h.fakes[state.CloudFormation].deployErr = errors.New("cdk deploy: stack ROLLBACK_COMPLETE")
	tw := wrapper(t, twinstackBinary(t), "exec sleep 60")
	o := h.opts(&tw)
	o.Instances = 1
	o.Deployments = []string{state.CloudFormation}
	stop := make(chan struct{})
	procs := recorded(t, h.root, stop)
	_, err := Up(context.Background(), o)
	close(stop)
	if err == nil || !strings.Contains(err.Error(), "ROLLBACK_COMPLETE") {
		t.Fatalf("err = %v", err)
	}
	if got := h.fakes[state.CloudFormation].destroyed; got != 1 {
		t.Errorf("a half-deployed stack was destroyed %d times, want 1", got)
	}
	assertClean(t, h.root, procs())
}

func TestUpRejectsPortInUse(t *testing.T) {
	h := newHarness(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	o := h.opts(nil)
	o.Endpoint = ""
	o.MotoPort = l.Addr().(*net.TCPAddr).Port
	_, err = Up(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "port "+strconv.Itoa(o.MotoPort)+" is in use") {
		t.Fatalf("err = %v, want port in use", err)
	}
	assertClean(t, h.root, nil)
}

func TestUpRejectsMissingMoto(t *testing.T) {
	h := newHarness(t)
	o := h.opts(nil)
	o.Endpoint = ""
	t.Setenv("PATH", t.TempDir()) // no moto_server, no go
	_, err := Up(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "moto_server is not on PATH") {
		t.Fatalf("err = %v, want moto_server missing", err)
	}
	assertClean(t, h.root, nil)
}

func TestUpAfterCrashCleansUpFirst(t *testing.T) {
	h := newHarness(t)
	// A "crashed" earlier run: a process recorded but never stopped.
	p, err := proc.Start(proc.Spec{Name: "server-terraform-1", Path: "sleep", Args: []string{"60"}})
	if err != nil {
		t.Fatal(err)
	}
	rec := &Record{Endpoint: h.moto.Endpoint(), Processes: []Proc{{Ref: p.Ref, Role: "server", Deployment: state.Terraform}},
		Deployments: map[string]*DeploymentRecord{state.Terraform: {Env: DeploymentEnv(state.Terraform, h.moto.Endpoint(), 1), Deploying: true}}}
	if err := SaveRecord(Layout{h.root}.RecordFile(), rec); err != nil {
		t.Fatal(err)
	}
	tw := wrapper(t, twinstackBinary(t), "exec sleep 60")
	o := h.opts(&tw)
	o.Deployments = []string{state.Terraform}
	Up(context.Background(), o) // fails later (server never ready); the point is the clean-up
	if proc.Alive(p.Ref) {
		t.Fatal("the crashed run's process still runs")
	}
	if !strings.Contains(h.out.String(), "clean up the previous local cloud") {
		t.Fatalf("no clean-up step:\n%s", h.out)
	}
	if h.fakes[state.Terraform].destroyed < 1 {
		t.Error("the crashed run's deployment was not destroyed")
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildOnce.path != "" {
		os.RemoveAll(filepath.Dir(buildOnce.path))
	}
	os.Exit(code)
}

// createServerGroup makes an Auto Scaling group of desired instances (a
// VPC, a subnet, a launch template) in the emulator at endpoint.
func createServerGroup(t *testing.T, endpoint, name string, desired int32) {
	t.Helper()
	ctx := context.Background()
	cfg := moto.AWSConfig(endpoint)
	ec2c, asc := ec2.NewFromConfig(cfg), autoscaling.NewFromConfig(cfg)
	vpc, err := ec2c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.20.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	sn, err := ec2c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.20.1.0/24"), AvailabilityZone: aws.String("us-east-1a")})
	if err != nil {
		t.Fatal(err)
	}
	imgs, err := ec2c.DescribeImages(ctx, &ec2.DescribeImagesInput{})
	if err != nil || len(imgs.Images) == 0 {
		t.Fatalf("no image in the emulator: %v", err)
	}
	if _, err := ec2c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(name),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: imgs.Images[0].ImageId, InstanceType: ec2types.InstanceTypeT3Micro}}); err != nil {
		t.Fatal(err)
	}
	if _, err := asc.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String(name),
		LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String(name), Version: aws.String("$Latest")},
		MinSize:        aws.Int32(1), MaxSize: aws.Int32(4), DesiredCapacity: aws.Int32(desired), VPCZoneIdentifier: sn.Subnet.SubnetId}); err != nil {
		t.Fatal(err)
	}
}
