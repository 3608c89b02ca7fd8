package cost

import (
	"fmt"
	"math"
)

// GiB is the unit AWS bills storage and transfer "GB" in.
const GiB = 1 << 30

// Via values: the path requests take into the system.
const (
	ViaLambda = "lambda"
	ViaServer = "server"
)

// Profile is what one deployment runs, as far as cost is concerned.
type Profile struct {
	Deployment    string
	Region        string
	Via           string // ViaLambda or ViaServer
	InstanceType  string
	InstanceCount int
	LoadBalancer  bool
	RootVolumeGiB int
	// PublicIPv4 counts public IPv4 addresses. The servers sit in public
	// subnets without a NAT gateway and download images from the
	// internet, so each needs one.
	PublicIPv4     int
	LambdaMemoryMB int
	LambdaArch     string // arm64 or x86_64
	PITR           bool   // point-in-time recovery on the images table
}

// Usage is what the benchmark measured for the deployment.
type Usage struct {
	// RatePerSecond is the achieved rate of successful requests.
	RatePerSecond float64
	// LambdaBilledMs is the mean billed duration per invocation, each
	// rounded up to the millisecond; LambdaDurationFrom says what it was
	// measured from.
	LambdaBilledMs     float64
	LambdaDurationFrom string
	// ImageBytes is the mean size of a stored image.
	ImageBytes float64
	// RequestBytes and ResponseBytes are the mean sizes at the client.
	RequestBytes  float64
	ResponseBytes float64
	// WriteUnits and IndexWriteUnits are the DynamoDB write request units
	// per request as the server counted them (from the items it wrote);
	// WriteUnits 0 means not measured: the item-size assumption is used.
	WriteUnits      float64
	IndexWriteUnits float64
}

// Assumptions are the modelling choices that are not measured. Zero fields
// take the defaults of DefaultAssumptions.
type Assumptions struct {
	ItemBytes                   float64 // DynamoDB image item size
	IndexCopies                 int     // GSIs that copy each item (by-created projects ALL)
	ALBNewConnectionsPerRequest float64 // 1: no keep-alive reuse (worst case)
	CrossAZShare                float64 // share of requests whose hops cross an AZ
	StorageMonths               float64 // months a new object/item is billed in its first month
	MultipartPartBytes          float64 // the upload manager's part size
	PerItemOverheadBytes        float64 // DynamoDB's per-item storage overhead
}

// DefaultAssumptions are the assumptions used when none are given.
func DefaultAssumptions() Assumptions {
	return Assumptions{
		ItemBytes:                   600,
		IndexCopies:                 1,
		ALBNewConnectionsPerRequest: 1,
		CrossAZShare:                0.5,
		StorageMonths:               0.5,
		MultipartPartBytes:          5 << 20,
		PerItemOverheadBytes:        100,
	}
}

func (a Assumptions) withDefaults() Assumptions {
	d := DefaultAssumptions()
	if a.ItemBytes == 0 {
		a.ItemBytes = d.ItemBytes
	}
	if a.IndexCopies == 0 {
		a.IndexCopies = d.IndexCopies
	}
	if a.ALBNewConnectionsPerRequest == 0 {
		a.ALBNewConnectionsPerRequest = d.ALBNewConnectionsPerRequest
	}
	if a.CrossAZShare == 0 {
		a.CrossAZShare = d.CrossAZShare
	}
	if a.StorageMonths == 0 {
		a.StorageMonths = d.StorageMonths
	}
	if a.MultipartPartBytes == 0 {
		a.MultipartPartBytes = d.MultipartPartBytes
	}
	if a.PerItemOverheadBytes == 0 {
		a.PerItemOverheadBytes = d.PerItemOverheadBytes
	}
	return a
}

// Line is one cost item. Per1000 is the cost of 1,000 requests; Monthly is
// the cost per month (at the measured rate for per-request items; 24/7 for
// idle items).
type Line struct {
	Item    string  `json:"item"`
	Basis   string  `json:"basis"`
	Per1000 float64 `json:"per_1000,omitempty"`
	Monthly float64 `json:"monthly"`
}

// Estimate is the cost of one deployment.
type Estimate struct {
	Deployment       string   `json:"deployment"`
	Currency         string   `json:"currency"`
	RatePerSecond    float64  `json:"rate_per_second"`
	RequestsPerMonth float64  `json:"requests_per_month"`
	Variable         []Line   `json:"variable"`
	Idle             []Line   `json:"idle"`
	Per1000          float64  `json:"per_1000"`
	VariableMonthly  float64  `json:"variable_monthly"`
	IdleMonthly      float64  `json:"idle_monthly"`
	TotalMonthly     float64  `json:"total_monthly"`
	Assumptions      []string `json:"assumptions"`
}

// Compute estimates the cost of prof under usage u at prices p. It fails
// with a price_not_listed PriceError when p has no price for the
// deployment's instance type or Lambda architecture.
func Compute(p *Prices, prof Profile, u Usage, a Assumptions) (*Estimate, error) {
	a = a.withDefaults()
	hours := p.HoursPerMonth
	if hours == 0 {
		hours = 730
	}
	reqPerMonth := u.RatePerSecond * hours * 3600
	e := &Estimate{Deployment: prof.Deployment, Currency: p.Currency, RatePerSecond: u.RatePerSecond, RequestsPerMonth: reqPerMonth}
	say := func(format string, args ...any) { e.Assumptions = append(e.Assumptions, fmt.Sprintf(format, args...)) }
	perReq := func(item, basis string, usd float64) {
		e.Variable = append(e.Variable, Line{Item: item, Basis: basis, Per1000: usd * 1000, Monthly: usd * reqPerMonth})
	}
	idle := func(item, basis string, monthly float64) {
		e.Idle = append(e.Idle, Line{Item: item, Basis: basis, Monthly: monthly})
	}

	say("prices: %s list prices for %s as of %s (%s); no free tier, savings plans or reserved capacity", p.Currency, p.Region, p.AsOf, p.File)
	if prof.Region != "" && prof.Region != p.Region {
		say("the deployment's region is %s but the prices are for %s", prof.Region, p.Region)
	}
	say("a month is %g hours; per-month figures assume the measured rate of %.3g successful requests/s around the clock (%.0f requests)", hours, u.RatePerSecond, reqPerMonth)

	// Lambda.
	if prof.Via == ViaLambda {
		lp, ok := p.Lambda[prof.LambdaArch]
		if !ok {
			return nil, priceErr(CodeNotListed, p.File, "lambda."+prof.LambdaArch, "no Lambda price for architecture %q", prof.LambdaArch)
		}
		gb := float64(prof.LambdaMemoryMB) / 1024
		perReq("Lambda requests", "1 invocation per request", lp.RequestsPerMillion/1e6)
		perReq("Lambda compute", fmt.Sprintf("%g GB x %.1f ms (%s) at %s GB-s", gb, u.LambdaBilledMs, prof.LambdaArch, money(lp.GBSecond)),
			gb*u.LambdaBilledMs/1000*lp.GBSecond)
		say("Lambda billed duration: mean %.1f ms per invocation, from %s, each rounded up to 1 ms", u.LambdaBilledMs, nonEmpty(u.LambdaDurationFrom, "the benchmark"))
	} else {
		say("requests go straight to the server (--via server): no Lambda cost")
	}

	// S3.
	puts := 1.0
	if u.ImageBytes > a.MultipartPartBytes {
		puts = math.Ceil(u.ImageBytes/a.MultipartPartBytes) + 2 // create + parts + complete
	}
	perReq("S3 PUT", fmt.Sprintf("%g PUT-class request(s) per image", puts), puts*p.S3.PutPer1000/1000)
	perReq("S3 storage", fmt.Sprintf("%.0f bytes per image for %g month", u.ImageBytes, a.StorageMonths),
		u.ImageBytes/GiB*p.S3.StorageGBMonth*a.StorageMonths)
	say("S3: one PUT per image up to %.0f MiB, multipart above (create + parts + complete); mean image %.0f bytes, measured from the server's size_bytes", a.MultipartPartBytes/(1<<20), u.ImageBytes)
	say("storage: a new object or item is billed for %g month in the month it is written (written evenly through the month); later months accumulate and are not included", a.StorageMonths)

	// DynamoDB.
	copies := float64(1 + a.IndexCopies)
	if u.WriteUnits > 0 {
		wru := u.WriteUnits + u.IndexWriteUnits
		perReq("DynamoDB writes", fmt.Sprintf("%.3g WRU measured (%.3g table + %.3g index)", wru, u.WriteUnits, u.IndexWriteUnits), wru*p.DynamoDB.WRUPerMillion/1e6)
		say("DynamoDB writes: %.3g table + %.3g index write request units per request, as the server counted them from the items it wrote (DynamoDB's sizing rules; failed conditional writes included)", u.WriteUnits, u.IndexWriteUnits)
	} else {
		wru := math.Ceil(a.ItemBytes/1024) * copies
		perReq("DynamoDB writes", fmt.Sprintf("%g WRU (item + %d index copy)", wru, a.IndexCopies), wru*p.DynamoDB.WRUPerMillion/1e6)
	}
	stored := (a.ItemBytes + a.PerItemOverheadBytes) * copies
	perReq("DynamoDB storage", fmt.Sprintf("%.0f bytes per image for %g month", stored, a.StorageMonths), stored/GiB*p.DynamoDB.StorageGBMonth*a.StorageMonths)
	if prof.PITR {
		base := a.ItemBytes + a.PerItemOverheadBytes
		perReq("DynamoDB PITR", fmt.Sprintf("%.0f bytes per image for %g month", base, a.StorageMonths), base/GiB*p.DynamoDB.PITRGBMonth*a.StorageMonths)
	}
	say("DynamoDB on demand: an image item of %.0f bytes (+%.0f bytes overhead), copied to %d index; ceil(item/1 KB) WRU per copy unless measured; no reads on the ingest path", a.ItemBytes, a.PerItemOverheadBytes, a.IndexCopies)

	// Load balancer capacity units.
	hop := u.RequestBytes + u.ResponseBytes
	if prof.LoadBalancer {
		conn := a.ALBNewConnectionsPerRequest / (25 * 3600) // 1 LCU = 25 new connections/s for an hour
		bytes := hop / GiB                                  // 1 LCU = 1 GB processed in an hour
		lcu, dim := conn, "new connections"
		if bytes > conn {
			lcu, dim = bytes, "processed bytes"
		}
		perReq("load balancer LCU", fmt.Sprintf("%.3g LCU-hours (%s dimension)", lcu, dim), lcu*p.LoadBalancer.LCUHour)
		say("load balancer: %g new connection(s) per request (no keep-alive reuse: an upper bound); LCU is the larger of new connections (25/s) and processed bytes (1 GB/h); active connections and rule evaluations stay below theirs", a.ALBNewConnectionsPerRequest)
	}

	// Data transfer.
	if prof.Via == ViaLambda {
		perReq("data transfer out", fmt.Sprintf("%.0f response bytes to the internet", u.ResponseBytes), u.ResponseBytes/GiB*p.DataTransfer.OutToInternetGB)
	}
	perReq("data transfer inter-AZ", fmt.Sprintf("%.0f bytes x %g of requests, billed both ways", hop, a.CrossAZShare), hop*a.CrossAZShare*2/GiB*p.DataTransfer.InterAZGB)
	if p.DataTransfer.InGB > 0 {
		perReq("data transfer in", fmt.Sprintf("%.0f image bytes downloaded", u.ImageBytes), u.ImageBytes/GiB*p.DataTransfer.InGB)
	}
	say("data transfer: image downloads come in from the internet (%s/GB); S3 and DynamoDB are reached in-region through public endpoints (free); %g of requests cross an AZ between Lambda, load balancer and instance (request + response bytes, billed on both sides)%s",
		money(p.DataTransfer.InGB), a.CrossAZShare, map[bool]string{true: "; the function URL's response goes out to the internet", false: ""}[prof.Via == ViaLambda])

	// Idle: what runs 24/7 whether or not requests come.
	if prof.InstanceCount > 0 {
		ih, ok := p.EC2.InstanceHour[prof.InstanceType]
		if !ok {
			return nil, priceErr(CodeNotListed, p.File, "ec2.instance_hour."+prof.InstanceType, "no price for instance type %q", prof.InstanceType)
		}
		n := float64(prof.InstanceCount)
		idle("EC2 instances", fmt.Sprintf("%d x %s at %s/h", prof.InstanceCount, prof.InstanceType, money(ih)), n*ih*hours)
		if prof.RootVolumeGiB > 0 {
			idle("EBS root volumes", fmt.Sprintf("%d x %d GiB gp3", prof.InstanceCount, prof.RootVolumeGiB), n*float64(prof.RootVolumeGiB)*p.EC2.EBSGp3GBMonth)
		}
	}
	if prof.PublicIPv4 > 0 {
		idle("public IPv4 addresses", fmt.Sprintf("%d x %s/h", prof.PublicIPv4, money(p.EC2.PublicIPv4Hour)), float64(prof.PublicIPv4)*p.EC2.PublicIPv4Hour*hours)
		say("each server has a public IPv4 address (public subnets, no NAT gateway, downloads from the internet)")
	}
	if prof.LoadBalancer {
		idle("load balancer", fmt.Sprintf("1 ALB at %s/h", money(p.LoadBalancer.ALBHour)), p.LoadBalancer.ALBHour*hours)
	}
	say("idle cost runs 24/7 whatever the load: instances, their root volumes and addresses%s", map[bool]string{true: ", the load balancer", false: ""}[prof.LoadBalancer])

	for _, l := range e.Variable {
		e.Per1000 += l.Per1000
		e.VariableMonthly += l.Monthly
	}
	for _, l := range e.Idle {
		e.IdleMonthly += l.Monthly
	}
	e.TotalMonthly = e.VariableMonthly + e.IdleMonthly
	return e, nil
}

func money(v float64) string { return fmt.Sprintf("$%g", v) }

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
