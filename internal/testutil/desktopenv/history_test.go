package desktopenv

import "testing"

func TestParseHistory(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Notification
	}{
		{
			name: "dunst 1.9 urgency from our format",
			in: `{"type":"aa{sv}","data":[[{"body":{"type":"s","data":"b\n\nwhy"},"message":{"type":"s","data":"critical"},
				"summary":{"type":"s","data":"s"},"appname":{"type":"s","data":"crampd"},"id":{"type":"i","data":2}}]]}`,
			want: []Notification{{Summary: "s", Body: "b\n\nwhy", AppName: "crampd", Urgency: "critical"}},
		},
		{
			name: "newer dunst reports urgency",
			in: `{"type":"aa{sv}","data":[[{"body":{"type":"s","data":"b"},"message":{"type":"s","data":"<b>s</b>\nb"},
				"summary":{"type":"s","data":"s"},"appname":{"type":"s","data":"a"},"urgency":{"type":"s","data":"NORMAL"}}]]}`,
			want: []Notification{{Summary: "s", Body: "b", AppName: "a", Urgency: "normal"}},
		},
		{
			name: "empty history",
			in:   `{"type":"aa{sv}","data":[[]]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseHistory([]byte(tt.in))
			if err != nil {
				t.Fatalf("parseHistory: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d notifications, want %d: %+v", len(got), len(tt.want), got)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("notification %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}
