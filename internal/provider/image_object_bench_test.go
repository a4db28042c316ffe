package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// BenchmarkImageObjectRead is the provider's cost of one refresh of an intact object in an
// S3-compatible server, schema work included; profile it with -cpuprofile.
func BenchmarkImageObjectRead(b *testing.B) {
	_, bucketURL := s3Bucket(b, "reads")
	ctx := context.Background()
	data := &providerData{buckets: newBucketCache()}
	bucket, err := data.buckets.open(ctx, bucketURL)
	if err != nil {
		b.Fatal(err)
	}
	spool, facts := pngSpool(b)
	if err := uploadFile(ctx, bucket, "hero.png", spool.File(), facts, ""); err != nil {
		b.Fatal(err)
	}
	r := &imageObjectResource{data: data}
	var schemaResp resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &schemaResp)
	m := imageObjectModel{URL: types.StringValue("https://upload.apimart.ai/f/image/hero.png"), Bucket: types.StringValue(bucketURL),
		Key: types.StringValue("hero.png"), CacheControl: types.StringNull(), KeepOnDestroy: types.BoolValue(false)}
	m.record(facts)
	m.Drift = types.StringNull()
	state := tfsdk.State{Schema: schemaResp.Schema}
	if diags := state.Set(ctx, m); diags.HasError() {
		b.Fatal(diags)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp := resource.ReadResponse{State: state}
			r.Read(ctx, resource.ReadRequest{State: state}, &resp)
			if resp.Diagnostics.HasError() {
				b.Error(resp.Diagnostics)
			}
		}
	})
}
