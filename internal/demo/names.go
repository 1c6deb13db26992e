package demo

import (
	"math/rand/v2"
	"strings"
)

// Names of the demo crowd: surnames weighted by how common they are in mainland China (roughly
// the share per ten thousand people in the 2020 census), given names of one or two characters
// that match the person's gender, and a share of WeChat users who show a nickname instead.

type weighted struct {
	s string
	w int
}

var surnames = func() []weighted {
	var out []weighted
	for _, line := range []string{
		"王710 李700 张680 刘540 陈450 杨310 黄250 赵230 吴210 周210",
		"徐130 孙130 马110 朱110 胡100 郭97 何91 高88 林87 罗84",
		"郑81 梁74 谢61 宋57 唐56 许53 韩51 冯50 邓50 曹49",
		"彭49 曾46 肖45 田44 董43 袁42 潘41 于41 蒋40 蔡40",
		"余39 杜38 叶37 程36 苏35 魏35 吕34 丁33 任32 沈32",
		"姚31 卢31 姜30 崔30 钟29 谭28 陆27 汪27 范26 金26",
		"石25 廖25 贾24 夏24 韦23 付23 方22 白22 邹22 孟21",
		"熊21 秦21 邱20 江20 尹19 薛19 闫18 段18 雷18 侯17",
		"龙17 史17 陶16 黎16 贺16 顾15 毛15 郝15 龚14 邵14",
		"万14 钱13 严13 覃12 武12 戴12 莫12 孔11 向11 汤11",
		"欧阳5 上官1 司马1 诸葛1",
	} {
		for _, f := range strings.Fields(line) {
			i := strings.IndexAny(f, "0123456789")
			w := 0
			for _, d := range f[i:] {
				w = w*10 + int(d-'0')
			}
			out = append(out, weighted{f[:i], w})
		}
	}
	return out
}()

var (
	femaleGiven = strings.Fields(`欣怡 思涵 雨桐 佳怡 梓涵 诗涵 静怡 婷婷 晓燕 丽娟 秀英 桂英 玉兰 美玲 雅婷 慧敏 晓雯 雪梅
		海燕 春梅 紫萱 可欣 一诺 梦琪 若曦 欣然 子涵 雨欣 佳琪 晓琳 文静 丽华 淑芬 艳红 雅琴 思雨 嘉欣 语桐 芷若 安琪
		芳 娜 敏 静 丽 艳 娟 霞 婷 雪 琳 颖 倩 洁 萍 燕 玲 璐 瑶 蕾`)
	maleGiven = strings.Fields(`浩然 子轩 宇轩 俊杰 志强 建国 建华 国强 海涛 文博 明辉 伟杰 子豪 博文 梓豪 鹏飞 晓东 振华
		天佑 皓轩 一鸣 思远 泽宇 家豪 宏伟 志明 永强 晨阳 俊熙 铭泽
		伟 磊 强 军 勇 杰 涛 斌 超 明 刚 平 辉 鹏 华 飞 鑫 波 宁 浩`)
	femaleNicks = strings.Fields(`Amy 小鱼儿 Coco 桃子 一颗柠檬 Lily 木子 甜甜圈 Vivian 糖糖 晴天 Sunny 小确幸 奶茶不加糖 云朵
		Cindy 栗子 七七 Grace 向日葵`)
	maleNicks = strings.Fields(`阿杰 Kevin 追风少年 老王 David 大鹏 Jason 山海 Leo 平常心 Tony 阿飞 Eric 小胖 远方`)
)

// person draws a customer's WeChat name, its surname ("" for a nickname) and gender (0 unknown,
// 1 male, 2 female). The brand's customers are mostly women; a few hide their gender.
func person(r *rand.Rand) (name, surname string, gender int) {
	switch x := r.IntN(100); {
	case x < 62:
		gender = 2
	case x < 95:
		gender = 1
	}
	female := gender == 2 || gender == 0 && r.IntN(2) == 0
	if r.IntN(100) < 12 {
		if female {
			return pick(r, femaleNicks), "", gender
		}
		return pick(r, maleNicks), "", gender
	}
	surname = pickWeighted(r, surnames, surnameTotal)
	if female {
		return surname + pick(r, femaleGiven), surname, gender
	}
	return surname + pick(r, maleGiven), surname, gender
}

func pick(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

var surnameTotal = total(surnames)

func total(ws []weighted) int {
	n := 0
	for _, w := range ws {
		n += w.w
	}
	return n
}

func pickWeighted(r *rand.Rand, ws []weighted, total int) string {
	x := r.IntN(total)
	for _, w := range ws {
		if x < w.w {
			return w.s
		}
		x -= w.w
	}
	return ws[len(ws)-1].s
}

// honorific is how a guide notes a customer in a remark: "王女士", "李先生", or the nickname.
func honorific(name, surname string, gender int) string {
	switch {
	case surname != "" && gender == 1:
		return surname + "先生"
	case surname != "" && gender == 2:
		return surname + "女士"
	}
	return name
}
