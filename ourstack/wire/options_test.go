package wire

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Option bytes -> Options, and the faults, with the offset each names.
func TestParseOptions(t *testing.T) {
	tests := []struct {
		name       string
		opts       []byte
		want       Options
		wantErr    error
		wantOffset int
	}{
		{name: "none", opts: nil},
		{name: "EOL then garbage is padding", opts: []byte{0, 2, 0, 0, 0xff}},
		{name: "NOPs only", opts: []byte{1, 1, 1, 1}},
		{name: "MSS", opts: []byte{2, 4, 0x05, 0xb4}, want: Options{HasMSS: true, MSS: 1460}},
		{name: "MSS 0 kept as sent", opts: []byte{2, 4, 0, 0}, want: Options{HasMSS: true}},
		{name: "window scale 14", opts: []byte{1, 3, 3, 14}, want: Options{HasWindowScale: true, WindowScale: 14}},
		{name: "window scale 15 kept as sent (RFC 7323 2.3: the TCB clamps)", opts: []byte{3, 3, 15, 0}, want: Options{HasWindowScale: true, WindowScale: 15}},
		{name: "SACK-permitted", opts: []byte{4, 2, 1, 1}, want: Options{SACKPermitted: true}},
		{name: "timestamps", opts: []byte{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}, want: Options{HasTimestamps: true, TSVal: 1, TSEcr: 2}},
		{name: "one SACK block", opts: []byte{5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1}, want: Options{NumSACKBlocks: 1, SACKBlocks: [4]SACKBlock{{1, 2}}}},
		{
			name: "four SACK blocks",
			opts: []byte{1, 1, 5, 34, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0, 8},
			want: Options{NumSACKBlocks: 4, SACKBlocks: [4]SACKBlock{{1, 2}, {3, 4}, {5, 6}, {7, 8}}},
		},
		{name: "unknown kind skipped by length", opts: []byte{30, 6, 9, 9, 9, 9, 2, 4, 1, 0}, want: Options{HasMSS: true, MSS: 256}},
		{name: "repeated MSS: the later wins", opts: []byte{2, 4, 0, 1, 2, 4, 0, 2}, want: Options{HasMSS: true, MSS: 2}},
		{name: "kind without length byte", opts: []byte{1, 1, 1, 30}, wantErr: ErrOptionLength, wantOffset: 3},
		{name: "unknown length 0", opts: []byte{30, 0, 0, 0}, wantErr: ErrOptionLength, wantOffset: 1},
		{name: "unknown length 1", opts: []byte{30, 1, 0, 0}, wantErr: ErrOptionLength, wantOffset: 1},
		{name: "unknown past the end", opts: []byte{30, 5, 0, 0}, wantErr: ErrOptionLength, wantOffset: 1},
		{name: "MSS length 3", opts: []byte{2, 3, 0, 0}, wantErr: ErrOptionLength, wantOffset: 1},
		{name: "window scale length 4", opts: []byte{3, 4, 0, 0}, wantErr: ErrOptionLength, wantOffset: 1},
		{name: "SACK-permitted length 3", opts: []byte{1, 4, 3, 0}, wantErr: ErrOptionLength, wantOffset: 2},
		{name: "timestamps length 8", opts: []byte{8, 8, 0, 0, 0, 0, 0, 0}, wantErr: ErrOptionLength, wantOffset: 1},
		{name: "SACK with no block", opts: []byte{5, 2, 1, 1}, wantErr: ErrOptionLength, wantOffset: 1},
		{name: "SACK length 9", opts: []byte{5, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, wantErr: ErrOptionLength, wantOffset: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Options
			got.MSS = 999 // ParseOptions replaces what was there
			err := ParseOptions(tt.opts, &got)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				var pe *ParseError
				if errors.As(err, &pe); pe.Offset != tt.wantOffset {
					t.Errorf("offset %d, want %d (%v)", pe.Offset, tt.wantOffset, err)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// Options -> bytes: Linux's layout, and what happens when it does not fit.
func TestEncodeOptionsLayout(t *testing.T) {
	ts := []byte{8, 10, 0, 0, 0, 1, 0, 0, 0, 2}
	tests := []struct {
		name string
		opts Options
		want []byte
	}{
		{"none", Options{}, nil},
		{"MSS", Options{HasMSS: true, MSS: 1460}, []byte{2, 4, 0x05, 0xb4}},
		{"SACK-permitted alone", Options{SACKPermitted: true}, []byte{1, 1, 4, 2}},
		{"window scale alone", Options{HasWindowScale: true, WindowScale: 7}, []byte{1, 3, 3, 7}},
		{"timestamps alone", Options{HasTimestamps: true, TSVal: 1, TSEcr: 2}, append([]byte{1, 1}, ts...)},
		{
			"SYN, everything (Linux order)",
			Options{HasMSS: true, MSS: 1460, SACKPermitted: true, HasTimestamps: true, TSVal: 1, TSEcr: 2, HasWindowScale: true, WindowScale: 7},
			append(append([]byte{2, 4, 0x05, 0xb4, 4, 2}, ts...), 1, 3, 3, 7),
		},
		{
			"SACK blocks after timestamps",
			Options{HasTimestamps: true, TSVal: 1, TSEcr: 2, NumSACKBlocks: 1, SACKBlocks: [4]SACKBlock{{10, 20}}},
			append(append([]byte{1, 1}, ts...), 1, 1, 5, 10, 0, 0, 0, 10, 0, 0, 0, 20),
		},
		{
			"four SACK blocks fit without timestamps",
			Options{NumSACKBlocks: 4, SACKBlocks: [4]SACKBlock{{1, 2}, {3, 4}, {5, 6}, {7, 8}}},
			[]byte{1, 1, 5, 34, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0, 8},
		},
		{
			"timestamps leave room for three SACK blocks (RFC 2018 section 3)",
			Options{HasTimestamps: true, TSVal: 1, TSEcr: 2, NumSACKBlocks: 4, SACKBlocks: [4]SACKBlock{{1, 2}, {3, 4}, {5, 6}, {7, 8}}},
			append(append([]byte{1, 1}, ts...), 1, 1, 5, 26, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6),
		},
		{
			"packed without NOPs when aligned does not fit",
			Options{HasTimestamps: true, TSVal: 1, TSEcr: 2, HasWindowScale: true, WindowScale: 2, NumSACKBlocks: 3, SACKBlocks: [4]SACKBlock{{1, 2}, {3, 4}, {5, 6}}},
			append(append(ts, 3, 3, 2, 5, 26, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6), 0),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.opts.Len(); got != len(tt.want) {
				t.Errorf("Len() = %d, want %d", got, len(tt.want))
			}
			p := Packet{IP: IPv4Fields{Src: client, Dst: server}, TCP: Segment{Options: tt.opts}}
			buf := make([]byte, 100)
			n, err := p.Encode(buf, Illegal{})
			if err != nil {
				t.Fatal(err)
			}
			if got := buf[40:n]; !bytes.Equal(got, tt.want) {
				t.Errorf("options\n% x\nwant\n% x", got, tt.want)
			}
			if got := int(buf[32]>>4) * 4; got != 20+len(tt.want) {
				t.Errorf("data offset %d bytes, want %d", got, 20+len(tt.want))
			}
			// And they parse back to what was asked for, minus dropped SACK blocks.
			back, err := Parse(buf[:n])
			if err != nil {
				t.Fatal(err)
			}
			want := tt.opts
			if want.HasTimestamps && want.NumSACKBlocks == 4 {
				want.NumSACKBlocks, want.SACKBlocks[3] = 3, SACKBlock{}
			}
			if diff := cmp.Diff(want, back.TCP.Options); diff != "" {
				t.Errorf("parsed back (-want +got):\n%s", diff)
			}
		})
	}
}
