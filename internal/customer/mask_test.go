package customer

import "testing"

// Timeline details are masked key by key for callers without personal data.
func TestMaskDetail(t *testing.T) {
	for in, want := range map[string]string{
		`{"remark":"张小芳 13812345678","tag":"VIP"}`:  `{"remark":"","tag":"VIP"}`,
		`{"other_name":"王芳","merge_id":3}`:          `{"merge_id":3,"other_name":"王*"}`,
		`{"kind":"phone","value":"+8613812345678"}`: `{"kind":"phone","value":"138****5678"}`,
		`{"content":"她下周三到店","method":"phone"}`:     `{"content":"","method":"phone"}`,
		`{"remark":{"nested":"x"}}`:                 `{}`,
		`not json`:                                  `{}`,
		`{"state":"store-1","add_way":1}`:           `{"add_way":1,"state":"store-1"}`,
	} {
		if got := maskDetail(in); got != want {
			t.Errorf("maskDetail(%s) = %s, want %s", in, got, want)
		}
	}
}
