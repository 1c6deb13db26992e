package customer

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/siyu-scrm/siyu/internal/store"
)

// Synthetic customers for benchmarks (`siyu bench customers`): realistic Chinese names, phones,
// relations with remarks, tags and search rows, written straight into this package's tables in
// large batches so a million customers load in minutes. Never used on real tenants.

// SyntheticOptions say what to generate.
type SyntheticOptions struct {
	Customers int
	Seed      uint64
	// Staff maps the WeCom userids of existing staff to their ids; relations are spread over them.
	Staff map[string]int64
	// TagIDs are existing tags of the tenant; customers get 0-4 of them, popular ones more often.
	TagIDs []int64
}

// SyntheticResult describes what was loaded, so a benchmark can ask for things that exist.
type SyntheticResult struct {
	Customers int
	FirstID   int64
	Phones    []string // a sample of phone numbers that were given out
	Names     []string // a sample of names
	Channels  []string
}

var (
	// The most common surnames, most frequent first (roughly their share of the population).
	surnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗",
		"郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡",
		"余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "欧阳", "司马"}
	givenChars = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹" +
		"霞香月莺媛瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽" +
		"子轩浩宇皓然梓涵一诺欣怡雨泽俊杰博文思远天佑嘉懿煜城懿轩烨伟苑博伟泽熠彤鸿煊博涛烨霖烨华煜祺智宸正豪昊然明杰立诚立轩立辉峻熙弘文熠彤鸿煊烨霖哲瀚鑫鹏致远俊驰雨泽烨磊晟睿天佑文昊修洁黎昕远航旭尧鸿涛伟祺荣轩越泽浩宇瑾瑜皓轩擎苍擎宇志泽子轩睿渊弘文哲瀚雨泽楷瑞建辉致远俊驰")
	remarkWords = []string{"老客户", "VIP", "宝妈", "学生", "上班族", "南京路店", "徐家汇店", "静安店", "直播间", "抖音", "天猫", "复购", "高意向",
		"价格敏感", "爱美妆", "母婴", "运动", "送礼", "会员", "新客", "回访", "投诉过", "团购", "企业客户"}
	channels = []string{"poster-618", "store-nanjing", "store-xujiahui", "douyin-live", "tmall-card", "wechat-ad", "baidu-sem", "friend-invite",
		"mini-program", "official-account", "event-2026", "sms-campaign", "coupon", "group-fission", "counter-qr", "taobao-package"}
)

func syntheticName(r *rand.Rand) string {
	// Surnames follow a rough Zipf: the first ones are far more common.
	i := int(float64(len(surnames)) * r.Float64() * r.Float64())
	b := strings.Builder{}
	b.WriteString(surnames[i])
	n := 1 + r.IntN(2)
	for range n {
		b.WriteRune(givenChars[r.IntN(len(givenChars))])
	}
	return b.String()
}

// LoadSynthetic writes opts.Customers customers into the tenant in batches, each with a WeCom
// identity, a phone for most, one or two relations (some with remarks, some lost), tags, and
// their search rows. It prints progress to w.
func LoadSynthetic(ctx context.Context, db *store.DB, tenantID int64, opts SyntheticOptions, w io.Writer) (SyntheticResult, error) {
	r := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x5eed))
	var res SyntheticResult
	res.Channels = channels
	var maxID int64
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM customers`).Scan(&maxID); err != nil {
		return res, err
	}
	res.FirstID = maxID + 1
	userIDs := make([]string, 0, len(opts.Staff))
	for u := range opts.Staff {
		userIDs = append(userIDs, u)
	}
	if len(userIDs) == 0 {
		return res, fmt.Errorf("customer: synthetic customers need staff")
	}
	slices.Sort(userIDs)
	now := time.Now().UTC().Truncate(time.Second)
	const batch = 2000
	start := time.Now()
	id := maxID
	for done := 0; done < opts.Customers; {
		n := min(batch, opts.Customers-done)
		var custRows, idRows, staffRows, tagRows, searchRows, termRows [][]any
		for range n {
			id++
			name := syntheticName(r)
			added := now.Add(-time.Duration(r.Int64N(int64(3 * 365 * 24 * time.Hour))))
			state := channels[int(float64(len(channels))*r.Float64()*r.Float64())]
			custRows = append(custRows, []any{id, tenantID, name, 1 + r.IntN(2), added, state, added, added})
			idRows = append(idRows, []any{tenantID, IdentityExternalUserID, fmt.Sprintf("wmB%010d", id), id, added})
			var in SearchInput
			in.Name = name
			if r.IntN(10) < 7 {
				phone := fmt.Sprintf("+861%d%09d", 3+r.IntN(7), r.Int64N(1_000_000_000))
				idRows = append(idRows, []any{tenantID, IdentityPhone, phone, id, added})
				in.Phones = append(in.Phones, phone)
				if len(res.Phones) < 1000 && r.IntN(100) == 0 {
					res.Phones = append(res.Phones, phone)
				}
			}
			if len(res.Names) < 1000 && r.IntN(100) == 0 {
				res.Names = append(res.Names, name)
			}
			rels := 1
			if r.IntN(10) < 3 {
				rels = 2
			}
			first := r.IntN(len(userIDs))
			for k := range rels {
				u := userIDs[(first+k*7)%len(userIDs)]
				remark := ""
				if r.IntN(10) < 3 {
					remark = name + "-" + remarkWords[r.IntN(len(remarkWords))]
					in.Remarks = append(in.Remarks, remark)
				}
				status := RelationActive
				if r.IntN(100) < 12 {
					status = RelationLost
				}
				at := added.Add(time.Duration(k) * time.Hour)
				st := state
				if k > 0 {
					st = ""
				}
				staffRows = append(staffRows, []any{tenantID, id, u, opts.Staff[u], remark, st, at, status, at})
				// Tags sit on a relation, as WeCom keeps them.
				if len(opts.TagIDs) > 0 {
					seen := map[int64]bool{}
					for range r.IntN(4) {
						t := opts.TagIDs[int(float64(len(opts.TagIDs))*r.Float64()*r.Float64())]
						if !seen[t] {
							seen[t] = true
							tagRows = append(tagRows, []any{tenantID, id, t, u, TagSourceSync, at})
						}
					}
				}
			}
			terms := searchTerms(in)
			lastActive := added.Add(time.Duration(r.Int64N(int64(now.Sub(added)) + 1)))
			searchRows = append(searchRows, []any{tenantID, id, docOf(terms), nameKey(name), added, lastActive})
			for _, t := range terms {
				termRows = append(termRows, []any{tenantID, t, id})
			}
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if tx.Dialect() == store.Postgres {
				if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
					return err
				}
			}
			for _, ins := range []struct {
				head string
				rows [][]any
			}{
				{`INSERT INTO customers (id, tenant_id, name, gender, first_added_at, first_state, created_at, updated_at)`, custRows},
				{`INSERT INTO customer_identities (tenant_id, kind, value, customer_id, created_at)`, idRows},
				{`INSERT INTO customer_staff (tenant_id, customer_id, wecom_userid, staff_id, remark, state, added_at, status, status_at)`, staffRows},
				{`INSERT INTO customer_tags (tenant_id, customer_id, tag_id, wecom_userid, source, created_at)`, tagRows},
				{`INSERT INTO customer_search (tenant_id, customer_id, doc, name_key, added_at, last_active_at)`, searchRows},
				{`INSERT INTO customer_search_terms (tenant_id, term, customer_id)`, termRows},
			} {
				if err := insertRows(ctx, tx, ins.head, ins.rows); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("customer: load synthetic customers: %w", err)
		}
		done += n
		res.Customers = done
		if done%100_000 < batch || done == opts.Customers {
			fmt.Fprintf(w, "  %d customers loaded (%.0f/s)\n", done, float64(done)/time.Since(start).Seconds())
		}
	}
	if db.Dialect() == store.Postgres {
		if _, err := db.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('customers', 'id'), (SELECT MAX(id) FROM customers))`); err != nil {
			return res, err
		}
	}
	return res, nil
}

// insertRows inserts rows with multi-row INSERT statements of at most ~30,000 parameters (below
// both engines' limits); rows that exist already (a phone given out twice) are skipped.
func insertRows(ctx context.Context, tx *store.Tx, head string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	cols := len(rows[0])
	per := max(1, 30000/cols)
	ph := "(?" + strings.Repeat(", ?", cols-1) + ")"
	for len(rows) > 0 {
		n := min(per, len(rows))
		args := make([]any, 0, n*cols)
		for _, row := range rows[:n] {
			args = append(args, row...)
		}
		q := head + ` VALUES ` + ph + strings.Repeat(", "+ph, n-1) + ` ON CONFLICT DO NOTHING`
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}
