package verify

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/twinstack/twinstack/constructs"
)

func defaultSystem(t *testing.T) *constructs.System {
	t.Helper()
	sys, err := constructs.New(constructs.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	return sys
}

// inventory names subnets and groups by the fake's physical ids, as a
// deployment's state or stack does.
func inventory(sys *constructs.System) map[constructs.ID]string {
	inv := map[constructs.ID]string{}
	for _, s := range sys.Network.Subnets {
		inv[s.ID] = "subnet-" + string(s.ID)
		inv[s.RouteTable] = "rtb-" + string(s.ID)
	}
	for _, g := range sys.Groups {
		inv[g.ID] = "sg-" + string(g.ID)
	}
	return inv
}

func run(t *testing.T, sys *constructs.System, w *world, opts Options) *Report {
	t.Helper()
	if opts.Inventory == nil {
		opts.Inventory = inventory(sys)
		for id, name := range w.physical {
			opts.Inventory[id] = name
		}
	}
	rep, err := Run(context.Background(), w.clients(), sys, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func byID(rep *Report) map[string]Result {
	m := map[string]Result{}
	for _, x := range rep.Results {
		m[x.ID] = x
	}
	return m
}

// unreadable are the checks of settings the AWS API does not expose: the
// server group's rolling update (CloudFormation UpdatePolicy, Terraform
// instance_refresh). They are unverified wherever the resource exists.
func unreadable(sys *constructs.System, id string) bool {
	return id == "asg."+string(sys.Servers.ID)+".rolling-update"
}

// notConforming lists the results that are neither ok nor patched, other
// than the unreadable checks' unverified ones.
func notConforming(sys *constructs.System, rep *Report) []string {
	var out []string
	for _, x := range rep.Results {
		if x.Status == OK || x.Status == Patched || (x.Status == Unverified && unreadable(sys, x.ID)) {
			continue
		}
		out = append(out, Line(x))
	}
	return out
}

// Every check passes on a deployment that holds exactly the model; the
// unreadable ones say so, as unverified.
func TestEveryCheckOK(t *testing.T) {
	sys := defaultSystem(t)
	rep := run(t, sys, conforming(sys), Options{Deployment: "terraform"})
	if len(rep.Results) != len(CheckIDs(sys)) || len(rep.Results) == 0 {
		t.Fatalf("%d results for %d checks", len(rep.Results), len(CheckIDs(sys)))
	}
	n := 0
	for _, x := range rep.Results {
		switch {
		case unreadable(sys, x.ID):
			n++
			if x.Status != Unverified || x.Got != nil || !strings.Contains(x.Note, "twinstack diff") {
				t.Errorf("unreadable: %s", Line(x))
			}
		case x.Status != OK:
			t.Errorf("%s", Line(x))
		}
	}
	if n != 1 {
		t.Errorf("%d unreadable checks, want 1 (the rolling update)", n)
	}
	if rep.ExitCode() != ExitUnverified || !strings.Contains(rep.Verdict(), "1 unverified (asg.ServerGroup.rolling-update: "+notReadable) {
		t.Errorf("exit %d, verdict %q", rep.ExitCode(), rep.Verdict())
	}
	// With the deployment tool's record, a deployment of exactly the
	// model conforms on every check.
	for _, dep := range []string{"terraform", "cloudformation"} {
		rep = run(t, sys, conforming(sys), Options{Deployment: dep, Declared: &Declared{Source: "test", Rolling: RollingText(dep, sys.Servers.Rolling)}})
		if rep.ExitCode() != ExitOK || rep.Summary.OK != rep.Summary.Total {
			t.Errorf("%s with its record: exit %d, verdict %q", dep, rep.ExitCode(), rep.Verdict())
		}
	}
}

// Every check reports missing when nothing is deployed (the fake answers
// with each API's not-found error code).
func TestEveryCheckMissing(t *testing.T) {
	sys := defaultSystem(t)
	w := &world{tables: map[string]*ddbtypes.TableDescription{}}
	rep := run(t, sys, w, Options{Deployment: "terraform", Inventory: map[constructs.ID]string{}})
	for _, x := range rep.Results {
		if x.Status != Missing {
			t.Errorf("%s", Line(x))
		}
	}
	if rep.ExitCode() != ExitDrift {
		t.Errorf("exit %d, want %d", rep.ExitCode(), ExitDrift)
	}
}

// Every check reports an error (not missing, not drift) when the API fails
// with a code that does not mean "not found".
func TestEveryCheckError(t *testing.T) {
	sys := defaultSystem(t)
	w := conforming(sys)
	w.failCode = "InternalError"
	rep := run(t, sys, w, Options{Deployment: "terraform"})
	for _, x := range rep.Results {
		if x.Status != Error || !strings.Contains(x.Note, "InternalError") {
			t.Errorf("%s", Line(x))
		}
	}
	if rep.ExitCode() != ExitError {
		t.Errorf("exit %d, want %d", rep.ExitCode(), ExitError)
	}
}

// presenceOnly are the checks whose property is the existence of one
// thing: they are ok or missing, never drift. A role statement that grants
// one action on one resource is one grant: a changed one is a missing one.
func presenceOnly(sys *constructs.System, id string) bool {
	for _, ro := range sys.Roles {
		for _, st := range ro.Statements {
			if id == "role."+string(ro.ID)+".policy."+st.Sid && len(st.Actions)*len(st.Resources) == 1 {
				return true
			}
		}
	}
	return id == "bucket.exists" || id == "vpc.internet-gateway" ||
		strings.Contains(id, ".ingress[") || strings.Contains(id, ".egress[")
}

// editStatement rewrites the statement sid of a role's inline policy.
func editStatement(w *world, ro *constructs.Role, sid string, edit func(st map[string]any)) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(w.inline[ro.Name][ro.PolicyName]), &doc); err != nil {
		panic(err)
	}
	for _, x := range doc["Statement"].([]any) {
		if st := x.(map[string]any); st["Sid"] == sid {
			edit(st)
		}
	}
	b, _ := json.Marshal(doc)
	w.inline[ro.Name][ro.PolicyName] = string(b)
}

// drift returns a change to a conforming world that makes check id
// differ from the model, or nil.
func drift(sys *constructs.System, id string) func(w *world) {
	f := false
	parts := strings.Split(id, ".")
	last := parts[len(parts)-1]
	findTable := func(w *world) *ddbtypes.TableDescription {
		for _, t := range []constructs.Table{sys.ImagesTable, sys.AlbumsTable} {
			if string(t.ID) == parts[1] {
				return w.tables[t.Name]
			}
		}
		return nil
	}
	findSubnet := func(w *world) *ec2types.Subnet {
		for i := range w.subnets {
			if aws.ToString(w.subnets[i].SubnetId) == "subnet-"+parts[1] {
				return &w.subnets[i]
			}
		}
		return nil
	}
	findGroup := func(w *world) *ec2types.SecurityGroup { return w.group(aws.String("sg-" + parts[1])) }
	findRole := func() *constructs.Role {
		for i := range sys.Roles {
			if string(sys.Roles[i].ID) == parts[1] {
				return &sys.Roles[i]
			}
		}
		return nil
	}
	extra := ec2types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}
	switch {
	case id == "bucket.versioning":
		return func(w *world) { w.versioning = s3types.BucketVersioningStatusSuspended }
	case strings.HasPrefix(id, "bucket.public-access-block."):
		return func(w *world) {
			c := *w.pab
			switch last {
			case "BlockPublicAcls":
				c.BlockPublicAcls = &f
			case "BlockPublicPolicy":
				c.BlockPublicPolicy = &f
			case "IgnorePublicAcls":
				c.IgnorePublicAcls = &f
			case "RestrictPublicBuckets":
				c.RestrictPublicBuckets = &f
			}
			w.pab = &c
		}
	case id == "bucket.encryption":
		return func(w *world) { w.enc = "aws:kms" }
	case id == "bucket.lifecycle-rules.nothing-else":
		return func(w *world) {
			w.lifecycle = append(w.lifecycle, s3types.LifecycleRule{ID: aws.String("delete-everything"), Status: s3types.ExpirationStatusEnabled,
				Expiration: &s3types.LifecycleExpiration{Days: aws.Int32(1)}})
		}
	case strings.HasPrefix(id, "bucket.lifecycle."):
		return func(w *world) {
			for i := range w.lifecycle {
				if aws.ToString(w.lifecycle[i].ID) == last {
					w.lifecycle[i].Status = s3types.ExpirationStatusDisabled
				}
			}
		}
	case strings.HasPrefix(id, "bucket.policy."):
		return func(w *world) { w.policy = aws.String(strings.Replace(*w.policy, `"false"`, `"true"`, 1)) }
	case strings.HasPrefix(id, "table."):
		return func(w *world) {
			d := findTable(w)
			switch last {
			case "keys":
				d.KeySchema = []ddbtypes.KeySchemaElement{{AttributeName: aws.String("other"), KeyType: ddbtypes.KeyTypeHash}}
			case "billing":
				d.BillingModeSummary = nil
			case "indexes":
				if len(d.GlobalSecondaryIndexes) > 0 {
					d.GlobalSecondaryIndexes = nil
				} else {
					d.GlobalSecondaryIndexes = []ddbtypes.GlobalSecondaryIndexDescription{{IndexName: aws.String("extra"), Projection: &ddbtypes.Projection{ProjectionType: "ALL"}}}
				}
			case "deletion-protection":
				d.DeletionProtectionEnabled = aws.Bool(!aws.ToBool(d.DeletionProtectionEnabled))
			case "ttl":
				if w.ttl[*d.TableName] != nil {
					w.ttl[*d.TableName] = &ddbtypes.TimeToLiveDescription{AttributeName: aws.String("ttl"), TimeToLiveStatus: ddbtypes.TimeToLiveStatusEnabled}
				} else {
					w.ttl[*d.TableName] = &ddbtypes.TimeToLiveDescription{AttributeName: aws.String("ttl"), TimeToLiveStatus: ddbtypes.TimeToLiveStatusEnabling}
				}
			case "pitr":
				if w.pitr[*d.TableName] == ddbtypes.PointInTimeRecoveryStatusEnabled {
					w.pitr[*d.TableName] = ddbtypes.PointInTimeRecoveryStatusDisabled
				} else {
					w.pitr[*d.TableName] = ddbtypes.PointInTimeRecoveryStatusEnabled
				}
			}
		}
	case id == "vpc.cidr":
		return func(w *world) { w.vpc.CidrBlock = aws.String("10.99.0.0/16") }
	case id == "vpc.dns-support":
		return func(w *world) { w.dnsSupport = !w.dnsSupport }
	case id == "vpc.dns-hostnames":
		return func(w *world) { w.dnsHost = !w.dnsHost }
	case strings.HasPrefix(id, "subnet."):
		return func(w *world) {
			s := findSubnet(w)
			switch last {
			case "cidr":
				s.CidrBlock = aws.String("10.99.1.0/24")
			case "zone":
				s.AvailabilityZone = aws.String(w.zones[2])
			case "map-public-ip":
				s.MapPublicIpOnLaunch = aws.Bool(!aws.ToBool(s.MapPublicIpOnLaunch))
			case "default-route":
				for i := range w.routeTables {
					if aws.ToString(w.routeTables[i].RouteTableId) == "rtb-"+parts[1] {
						w.routeTables[i].Routes[0].GatewayId = aws.String("igw-other")
					}
				}
			}
		}
	case strings.HasPrefix(id, "sg.") && last == "exists":
		return func(w *world) { findGroup(w).GroupName = aws.String("renamed") }
	case strings.HasSuffix(id, ".ingress.nothing-else"):
		return func(w *world) { g := findGroup(w); g.IpPermissions = append(g.IpPermissions, extra) }
	case strings.HasSuffix(id, ".egress.nothing-else"):
		return func(w *world) { g := findGroup(w); g.IpPermissionsEgress = append(g.IpPermissionsEgress, extra) }
	case strings.HasPrefix(id, "role."):
		ro := findRole()
		return func(w *world) {
			switch {
			case last == "name":
				// The stack made the role under another name: found by
				// its physical name, all else as the model says.
				other := ro.Name + "-other"
				w.roles[other], w.attached[other], w.inline[other] = w.roles[ro.Name], w.attached[ro.Name], w.inline[ro.Name]
				delete(w.roles, ro.Name)
				w.roles[other].RoleName = aws.String(other)
				w.physical = map[constructs.ID]string{ro.ID: other}
			case last == "trust":
				w.roles[ro.Name].AssumeRolePolicyDocument = aws.String(`{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
				if ro.Service == "lambda.amazonaws.com" {
					w.roles[ro.Name].AssumeRolePolicyDocument = aws.String(`{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
				}
			case last == "managed-policies":
				w.attached[ro.Name] = append(w.attached[ro.Name], "arn:aws:iam::aws:policy/AdministratorAccess")
			case parts[2] == "policy":
				// One action fewer: the statement is granted only in part.
				editStatement(w, ro, last, func(st map[string]any) { st["Action"] = st["Action"].([]any)[1:] })
			case last == "grants-beyond-model":
				if w.inline[ro.Name] == nil {
					w.inline[ro.Name] = map[string]string{}
				}
				w.inline[ro.Name]["extra"] = `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
			}
		}
	case strings.HasPrefix(id, "profile."):
		return func(w *world) {
			if last == "name" {
				// The stack made the profile under another name.
				for _, ro := range sys.Roles {
					if ro.InstanceProfile == "" {
						continue
					}
					p, other := w.profiles[ro.ProfileName], ro.ProfileName+"-other"
					delete(w.profiles, ro.ProfileName)
					p.InstanceProfileName = aws.String(other)
					w.profiles[other] = p
					w.physical = map[constructs.ID]string{ro.InstanceProfile: other}
				}
				return
			}
			for _, p := range w.profiles {
				p.Roles = []iamtypes.Role{{RoleName: aws.String("other")}}
			}
		}
	case strings.HasPrefix(id, "launch-template."):
		return func(w *world) {
			d := w.latestData()
			m := *d.MetadataOptions
			e := *d.BlockDeviceMappings[0].Ebs
			switch strings.Join(parts[2:], ".") {
			case "instance-type":
				d.InstanceType = "m5.large"
			case "ami":
				d.ImageId = aws.String("ami-old")
			case "profile":
				d.IamInstanceProfile = &ec2types.LaunchTemplateIamInstanceProfileSpecification{Arn: aws.String("arn:aws:iam::" + fakeAccount + ":instance-profile/other")}
			case "security-groups":
				d.SecurityGroupIds = append(d.SecurityGroupIds, "sg-other")
			case "imdsv2":
				m.HttpTokens = ec2types.LaunchTemplateHttpTokensStateOptional
			case "imds-hop-limit":
				m.HttpPutResponseHopLimit = aws.Int32(2)
			case "root-volume.device":
				d.BlockDeviceMappings[0].DeviceName = aws.String("/dev/sdb")
			case "root-volume.size":
				e.VolumeSize = aws.Int32(1000)
			case "root-volume.type":
				e.VolumeType = ec2types.VolumeTypeIo2
			case "root-volume.encrypted":
				e.Encrypted = aws.Bool(!aws.ToBool(e.Encrypted))
			case "cpu-credits":
				d.CreditSpecification = &ec2types.CreditSpecification{CpuCredits: aws.String("unlimited")}
			case "user-data":
				d.UserData = aws.String(base64.StdEncoding.EncodeToString([]byte("#!/bin/bash\necho hello\n")))
			}
			d.MetadataOptions, d.BlockDeviceMappings[0].Ebs = &m, &e
		}
	case strings.HasPrefix(id, "asg."):
		return func(w *world) {
			g := w.asg
			switch strings.Join(parts[2:], ".") {
			case "min-size":
				g.MinSize = aws.Int32(0)
			case "desired-capacity":
				// Outside the model's min..max (a scale within it is not
				// drift: TestDesiredCapacityWithinRange).
				g.DesiredCapacity = aws.Int32(int32(sys.Servers.Max + 1))
				for n := len(g.Instances); n < sys.Servers.Max+1; n++ {
					addInstance(w, fmt.Sprintf("i-server%d", 10+n))
				}
			case "max-size":
				g.MaxSize = aws.Int32(10)
			case "health-check-type":
				g.HealthCheckType = aws.String("EC2")
			case "health-check-grace":
				g.HealthCheckGracePeriod = aws.Int32(0)
			case "subnets":
				g.VPCZoneIdentifier = aws.String(strings.Split(aws.ToString(g.VPCZoneIdentifier), ",")[0])
			case "target-groups":
				g.TargetGroupARNs = append(g.TargetGroupARNs, "arn:aws:elasticloadbalancing:"+sys.Region+":"+fakeAccount+":targetgroup/other/1")
			case "launch-template":
				g.LaunchTemplate = &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String("lt-other"), LaunchTemplateName: aws.String("other"), Version: aws.String("1")}
			case "name-tag":
				g.Tags[0].PropagateAtLaunch = aws.Bool(false)
			case "launch-hook":
				w.hooks = append(w.hooks, astypes.LifecycleHook{LifecycleHookName: aws.String("other"), LifecycleTransition: aws.String("autoscaling:EC2_INSTANCE_TERMINATING")})
			case "launch-hook.transition":
				w.hooks[0].LifecycleTransition = aws.String("autoscaling:EC2_INSTANCE_TERMINATING")
			case "launch-hook.default-result":
				w.hooks[0].DefaultResult = aws.String("CONTINUE")
			case "launch-hook.heartbeat":
				w.hooks[0].HeartbeatTimeout = aws.Int32(3600)
			case "scaling-policy.type":
				w.policies[0].PolicyType = aws.String("PredictiveScaling")
			case "scaling-policy.metric":
				w.policies[0].TargetTrackingConfiguration.PredefinedMetricSpecification.PredefinedMetricType = astypes.MetricTypeASGAverageCPUUtilization
			case "scaling-policy.resource-label":
				w.policies[0].TargetTrackingConfiguration.PredefinedMetricSpecification.ResourceLabel = aws.String("app/other/1/targetgroup/other/2")
			case "scaling-policy.target-value":
				w.policies[0].TargetTrackingConfiguration.TargetValue = aws.Float64(50)
			case "instances.in-service":
				// Held by its launch hook: not yet registered either.
				g.Instances[1].LifecycleState = astypes.LifecycleStatePendingWait
				w.targets = w.targets[:1]
			case "instances.launch-template-version":
				g.Instances[0].LaunchTemplate.Version = aws.String("1")
			case "instances.imdsv2":
				m := *w.instances[0].MetadataOptions
				m.HttpTokens = ec2types.HttpTokensStateOptional
				w.instances[0].MetadataOptions = &m
			case "instances.imds-hop-limit":
				m := *w.instances[0].MetadataOptions
				m.HttpPutResponseHopLimit = aws.Int32(2)
				w.instances[0].MetadataOptions = &m
			case "instances.profile":
				w.instances[0].IamInstanceProfile = nil
			}
		}
	case strings.HasPrefix(id, "lb."):
		return func(w *world) {
			switch strings.Join(parts[2:], ".") {
			case "scheme":
				w.lb.Scheme = elbtypes.LoadBalancerSchemeEnumInternetFacing
				if !sys.LoadBalancer.Internal {
					w.lb.Scheme = elbtypes.LoadBalancerSchemeEnumInternal
				}
			case "type":
				w.lb.Type = elbtypes.LoadBalancerTypeEnumNetwork
			case "subnets":
				w.lb.AvailabilityZones = w.lb.AvailabilityZones[:1]
			case "security-groups":
				w.lb.SecurityGroups = append(w.lb.SecurityGroups, "sg-other")
			case "protocol":
				if parts[1] == string(sys.LoadBalancer.Listener) {
					w.listeners[0].Protocol = elbtypes.ProtocolEnumHttps
				} else {
					w.tg.Protocol = elbtypes.ProtocolEnumHttps
				}
			case "port":
				if parts[1] == string(sys.LoadBalancer.Listener) {
					w.listeners[0].Port = aws.Int32(8443)
				} else {
					w.tg.Port = aws.Int32(9999)
				}
			case "default-action":
				w.listeners[0].DefaultActions[0].Type = elbtypes.ActionTypeEnumFixedResponse
			case "target-type":
				w.tg.TargetType = elbtypes.TargetTypeEnumIp
			case "health-check.protocol":
				w.tg.HealthCheckProtocol = elbtypes.ProtocolEnumHttps
			case "health-check.path":
				w.tg.HealthCheckPath = aws.String("/")
			case "health-check.interval":
				w.tg.HealthCheckIntervalSeconds = aws.Int32(300)
			case "health-check.timeout":
				w.tg.HealthCheckTimeoutSeconds = aws.Int32(120)
			case "health-check.healthy-threshold":
				w.tg.HealthyThresholdCount = aws.Int32(10)
			case "health-check.unhealthy-threshold":
				w.tg.UnhealthyThresholdCount = aws.Int32(10)
			case "health-check.matcher":
				w.tg.Matcher = &elbtypes.Matcher{HttpCode: aws.String("200-499")}
			case "targets":
				// An instance the group replaced, never deregistered.
				w.targets = append(w.targets, elbtypes.TargetDescription{Id: aws.String("i-replaced"), Port: aws.Int32(int32(sys.LoadBalancer.TargetPort))})
			}
		}
	case id == "log-group.retention":
		return func(w *world) { w.logGroup.RetentionInDays = nil }
	case strings.HasPrefix(id, "function."):
		return func(w *world) {
			switch strings.Join(parts[1:], ".") {
			case "runtime":
				w.fn.Runtime = lambdatypes.RuntimeNodejs20x
			case "handler":
				w.fn.Handler = aws.String("index.handler")
			case "architecture":
				w.fn.Architectures = []lambdatypes.Architecture{lambdatypes.ArchitectureX8664}
				if sys.Function.Architecture == "x86_64" {
					w.fn.Architectures = []lambdatypes.Architecture{lambdatypes.ArchitectureArm64}
				}
			case "memory":
				w.fn.MemorySize = aws.Int32(10240)
			case "timeout":
				w.fn.Timeout = aws.Int32(900)
			case "role":
				w.fn.Role = aws.String("arn:aws:iam::1:role/other")
			case "environment.nothing-else":
				w.fn.Environment.Variables["EXTRA"] = "1"
			case "vpc-subnets":
				w.fn.VpcConfig.SubnetIds = w.fn.VpcConfig.SubnetIds[:1]
			case "vpc-security-groups":
				w.fn.VpcConfig.SecurityGroupIds = nil
			case "reserved-concurrency":
				w.reserved = aws.Int32(1000)
			case "url.auth":
				a := lambdatypes.FunctionUrlAuthTypeNone
				w.url = &a
			default:
				if parts[1] == "environment" {
					w.fn.Environment.Variables[last] = "changed"
				}
			}
		}
	}
	return nil
}

// Every check that compares a value reports drift for a changed value,
// and only that check does.
func TestEveryCheckDrift(t *testing.T) {
	sys := defaultSystem(t)
	for _, id := range CheckIDs(sys) {
		if presenceOnly(sys, id) || unreadable(sys, id) {
			continue
		}
		t.Run(id, func(t *testing.T) {
			change := drift(sys, id)
			if change == nil {
				t.Fatalf("no drift case for check %s: add one", id)
			}
			w := conforming(sys)
			change(w)
			rep := run(t, sys, w, Options{Deployment: "terraform"})
			for _, x := range rep.Results {
				switch {
				case x.ID == id && x.Status != Drift:
					t.Errorf("want drift: %s", Line(x))
				case x.ID == id && (x.Got == nil || *x.Got == x.Want):
					t.Errorf("drift without a different value: %s", Line(x))
				case x.ID != id && x.Status != OK && !(x.Status == Unverified && unreadable(sys, x.ID)):
					t.Errorf("another check changed too: %s", Line(x))
				}
			}
		})
	}
}

// Presence-only checks report missing when their one thing is gone.
func TestPresenceChecksMissing(t *testing.T) {
	sys := defaultSystem(t)
	for _, id := range CheckIDs(sys) {
		if !presenceOnly(sys, id) || id == "bucket.exists" {
			continue
		}
		t.Run(id, func(t *testing.T) {
			w := conforming(sys)
			parts := strings.SplitN(id, ".", 4)
			switch {
			case id == "vpc.internet-gateway":
				w.igw = ""
			case parts[0] == "role":
				// The one grant is on another action.
				ro := sys.Role(constructs.ID(parts[1]))
				editStatement(w, ro, parts[3], func(st map[string]any) { st["Action"] = []string{"s3:Nothing"} })
			default:
				g := w.group(aws.String("sg-" + parts[1]))
				g.IpPermissions, g.IpPermissionsEgress = nil, nil
			}
			got := byID(run(t, sys, w, Options{Deployment: "terraform"}))[id]
			if got.Status != Missing {
				t.Errorf("want missing: %s", Line(got))
			}
		})
	}
}

// TestDesiredCapacityWithinRange: a group scaled within the model's
// min..max (the policy or an operator moved it) is not drift; the report
// still shows the model's value and the deployed one.
func TestDesiredCapacityWithinRange(t *testing.T) {
	sys := defaultSystem(t)
	for n := sys.Servers.Min; n <= sys.Servers.Max; n++ {
		w := conforming(sys)
		w.asg.DesiredCapacity = aws.Int32(int32(n))
		rep := run(t, sys, w, Options{Deployment: "terraform"})
		for _, x := range rep.Results {
			if x.ID != "asg.ServerGroup.desired-capacity" {
				continue
			}
			if x.Status != OK || x.Got == nil || *x.Got != strconv.Itoa(n) || x.Want != strconv.Itoa(sys.Servers.Desired) {
				t.Errorf("desired %d: %s", n, Line(x))
			}
		}
	}
}
