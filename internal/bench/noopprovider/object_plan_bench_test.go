package main

import (
	"context"
	"testing"

	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob"

	"github.com/apimart/terraform-provider-apimart/internal/provider"
)

// BenchmarkPlanOfAnIntactObject makes, in process, the four calls a terraform plan makes for each
// intact apimart_image_object, for the resource itself (its object in a file:// bucket), for a
// twin with its schema and none of its code, and for noop_thing, the floor of benchmark 8c. The
// first two differ by what the resource's code costs; the last two by what the framework spends
// on every attribute of the schema, which benchmark 8c counts against apimart_image_object.
//
//	go test ./internal/bench/noopprovider -run '^$' -bench PlanOfAnIntactObject -cpuprofile cpu.out
func BenchmarkPlanOfAnIntactObject(b *testing.B) {
	ctx := context.Background()
	bucketURL, sha256 := intactObject(b)
	object := map[string]tftypes.Value{
		"url":    tftypes.NewValue(tftypes.String, "http://127.0.0.1:1/f/image/intact.png"),
		"bucket": tftypes.NewValue(tftypes.String, bucketURL), "key": tftypes.NewValue(tftypes.String, "intact.png"),
		"keep_on_destroy": tftypes.NewValue(tftypes.Bool, false), "id": tftypes.NewValue(tftypes.String, sha256),
		"sha256": tftypes.NewValue(tftypes.String, sha256), "bytes": tftypes.NewValue(tftypes.Number, 10),
		"content_type": tftypes.NewValue(tftypes.String, "image/png"),
		"width":        tftypes.NewValue(tftypes.Number, 1), "height": tftypes.NewValue(tftypes.Number, 1),
	}
	thing := map[string]tftypes.Value{"id": tftypes.NewValue(tftypes.String, "t"), "name": tftypes.NewValue(tftypes.String, "t")}
	cases := []struct {
		typeName string
		provider fwprovider.Provider
		schema   resource.Resource
		state    map[string]tftypes.Value
		inputs   []string
	}{
		{"apimart_image_object", provider.New("bench")(), provider.NewImageObjectResource(), object, []string{"url", "bucket", "key"}},
		{objectTypeName, newProvider(), newNoopObject(), object, []string{"url", "bucket", "key"}},
		{"noop_thing", newProvider(), noopThing{}, thing, []string{"name"}},
	}
	for _, c := range cases {
		b.Run(c.typeName, func(b *testing.B) {
			server := providerserver.NewProtocol6(c.provider)()
			configureProvider(ctx, b, server, map[string]tftypes.Value{"api_key": tftypes.NewValue(tftypes.String, "sk-bench")})
			calls := intactPlanCalls(b, c.typeName, c.schema, c.state, c.inputs)
			b.ReportAllocs()
			for b.Loop() {
				calls.run(ctx, b, server)
			}
		})
	}
}

// intactObject stores a small object with the metadata apimart_image_object records, in a
// file:// bucket, and returns the bucket's URL and the recorded SHA-256.
func intactObject(tb testing.TB) (bucketURL, sha256 string) {
	ctx := context.Background()
	bucketURL, sha256 = "file://"+tb.TempDir(), "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	bucket, err := blob.OpenBucket(ctx, bucketURL)
	if err != nil {
		tb.Fatal(err)
	}
	defer bucket.Close()
	opts := &blob.WriterOptions{ContentType: "image/png", Metadata: map[string]string{"sha256": sha256, "width": "1", "height": "1"}}
	if err := bucket.WriteAll(ctx, "intact.png", []byte("0123456789"), opts); err != nil {
		tb.Fatal(err)
	}
	return bucketURL, sha256
}

// intactPlanCalls are the calls for a resource whose state holds the given values, the others
// null, and whose configuration sets the inputs named.
func intactPlanCalls(tb testing.TB, typeName string, r resource.Resource, values map[string]tftypes.Value, inputs []string) planCalls {
	tb.Helper()
	typ := schemaType(tb, r)
	state, config := map[string]tftypes.Value{}, map[string]tftypes.Value{}
	for name, attrType := range typ.AttributeTypes {
		state[name], config[name] = tftypes.NewValue(attrType, nil), tftypes.NewValue(attrType, nil)
		if v, ok := values[name]; ok {
			state[name] = v
		}
	}
	for _, name := range inputs {
		config[name] = state[name]
	}
	return callsFor(tb, typeName, typ, tftypes.NewValue(typ, state), tftypes.NewValue(typ, config))
}
