"""The field world's own way of talking (issue 11): how buyers and reps at Chinese B2B
customers actually write in 企业微信 / 钉钉 chats and CRM follow-up notes.

Written from how such conversations go — indirect refusals (这个价位老板不会批), money talk
without the word 预算 (今年这块没钱), people named by role (一把手, 信息中心), colloquial
particles, typos from pinyin input, traditional characters from Hong Kong / Taiwan colleagues
or a 繁体 phone keyboard, and plenty of talk that means nothing. It is *not* derived from the
product's dictionaries or from :mod:`simulator.vocab`'s term lists, and no product module reads
it (tests/simulator/test_field_world.py proves both). Only the simulator uses it.

Every entry is a whole phrasing; the generator picks one and may add noise
(:func:`add_typos`, :func:`to_traditional`).
"""

from __future__ import annotations

import numpy as np

# --------------------------------------------------------------------------- lost deals
LOSS_CHAT: dict[str, list[str]] = {
    "price": [
        "报价超出预期了,我们这边很难往上报",
        "这个价位老板不会批的",
        "同样的东西人家便宜一大截",
        "说实话,这个数我们接受不了",
        "你们这个收费在我们这行算高的",
        "超出我们心理价位太多了",
        "单价再下不来的话这单就算了",
        "财务算了一下,投入产出不划算",
        "这钱花得不值,领导那关过不去",
        "这个数跟我们想的差得有点远",
        "上面看了数字直摇头",
        "我们再内部算算账,估计够呛",
        "同样的钱我们能办好几件事",
    ],
    "budget": [
        "今年这块没钱了",
        "集团把今年的开支都卡死了",
        "钱被挪去别的项目了,明年再看吧",
        "上面说今年不批新项目",
        "现金流有点紧,这个先不上了",
        "今年的采购额度已经用完了",
        "年初报的盘子被砍掉了",
        "财务说今年只出不进,先别提了",
        "账上真的挤不出来",
        "这个季度一分钱都不让花",
    ],
    "competitor": [
        "另一家给的条件比你们好不少",
        "我们已经跟别家签了,不好意思",
        "有家做得早的已经在我们这试点了",
        "别的厂家愿意免费送一年运维",
        "人家方案里这块是标配,你们要另收钱",
        "老供应商又来谈了,条件给得很低",
        "那边老总亲自来了一趟,给的诚意很足",
        "有人报了个我们没法拒绝的数",
        "我们领导更倾向用过的那家",
    ],
    "it_fit": [
        "我们现在的ERP跟你们的数据打不通",
        "信息中心说你们这套装不到我们服务器上",
        "老系统是十几年前的,你们这个接不上",
        "技术那边评估下来改造量太大",
        "我们内网环境特殊,你们的部署方式不行",
        "跟车间那些老设备连不起来",
        "装上去以后数据出不来",
        "我们这边的环境你们跑不起来",
        "试点那台机器一直连不上",
    ],
    "requirement_mismatch": [
        "你们做的和我们想要的不是一回事",
        "关键的那几个场景你们都覆盖不了",
        "试用了一下,跟我们的业务流程对不上",
        "我们要的是定制,你们只有标准版",
        "核心那块你们的产品还做不到",
        "一线说用起来不顺手,跟实际干活的方式差太多",
        "你们那套思路跟我们行业不太一样",
        "演示的东西我们基本用不到",
        "业务部门看完说不是他们要的",
    ],
    "timing": [
        "这事得等明年再说了",
        "领导说先放一放,等下半年",
        "今年上不了,排到后面去了",
        "项目往后挪了,具体时间还没定",
        "先缓缓吧,现在不是时候",
        "等新厂区建好再启动",
        "现在大家都在忙审计,顾不上",
        "过完年再议吧",
        "今年的事排满了,挤不进去",
    ],
    "relationship": [
        "之前跟你们对接的王经理已经调走了",
        "新来的负责人有自己熟悉的合作方",
        "说实话我们老板跟另外那家更熟",
        "对接的人走了,新人还在熟悉情况",
        "上面的人没见过你们,不太放心",
        "老板说还是用熟人放心",
        "我们这边话事的人换了,得重新认识",
    ],
    "other": [
        "公司在重组,所有采购都停了",
        "我们被收购了,后面听集团安排",
        "股东那边有变化,项目先搁置",
        "搬迁期间什么都顾不上",
        "最近人事变动大,谁也不敢拍板",
        "公司在调结构,新项目一律停",
    ],
}
LOSS_NOTE: dict[str, list[str]] = {
    "price": [
        "客户嫌贵,要求再让15个点",
        "客户对单价有异议,老板不肯签字",
        "对方财务认为投入太大,回本周期长",
        "客户心理价位比我们低三成左右",
        "客户看完数字没再回复",
        "客户说同样的钱能办更多事",
    ],
    "budget": [
        "客户年度开支冻结,今年不采购",
        "客户说今年没有这笔钱",
        "客户的钱被调去新产线了",
        "客户本年度不再新增支出",
    ],
    "competitor": [
        "客户选了另一家,对方给了两年免费维保",
        "客户已和别家签约",
        "对方厂商低价入场,客户倒向对方",
        "客户老总与对方厂商关系密切,已定",
    ],
    "it_fit": [
        "客户信息部评估后认为与现有平台无法打通",
        "客户服务器环境不支持我方部署方式",
        "现场老设备协议不通,改造成本高",
        "试点设备数据采不上来",
    ],
    "requirement_mismatch": [
        "客户核心场景我方产品覆盖不到",
        "客户要深度定制,我方标准版做不了",
        "业务部门认为方案不是他们要的",
    ],
    "timing": ["客户项目整体后移至明年", "客户上层决定先观望", "客户说过完年再议"],
    "relationship": ["原对接人离职,新负责人倾向老供应商", "高层关系没建立起来,推不动"],
    "other": ["客户公司重组,采购全部停摆", "客户被并购,决策权上收集团"],
}

# --------------------------------------------------------------------------- deal signals
SIGNALS: dict[str, list[str]] = {
    "budget_approved": [
        "钱批下来了,可以往前推了",
        "财务那边已经签字了",
        "今年的额度给到这个项目了",
        "立项通过了,你们准备合同吧",
        "申请的款下来了",
        "上面点头了,钱的事不用担心",
        "老板那边松口了,这个事能办",
        "款项落实了,就等你们了",
    ],
    "tender": [
        "这个量级得公开挂网采购",
        "按规定要上采购平台,至少三家比价",
        "下个月挂标书,你们留意一下",
        "流程上必须走竞争性谈判",
        "金额超了,要上政府采购网",
        "这种规模我们得公开走程序",
    ],
    "approval_pending": [
        "材料递上去了,老板还没表态",
        "一把手出差了,签字要等他回来",
        "上会还没排上",
        "总经理那边还压着呢",
        "还在等大老板拍板",
        "老板这周在外地,回来再定",
        "文件在老板桌上放着呢",
    ],
    "rival_in_play": [
        "另外两家也在给我们出方案",
        "我们也约了别的厂家来讲",
        "有家公司也在推类似的东西",
        "同行推荐了另外一家,我们也想看看",
        "我们多看几家再定",
    ],
    "integration_doubt": [
        "我们用的是老版本的系统,你们能接吗?",
        "现场的设备都是进口的,能连上吗?",
        "跟我们现在的MES能不能打通?",
        "数据格式跟我们平台的一致吗?",
        "你们的东西能装在我们自己的机房吗?",
    ],
}
SIGNAL_OF_KEYWORD = {
    "预算已批": "budget_approved",
    "招标": "tender",
    "领导还没批": "approval_pending",
    "竞品": "rival_in_play",
    "兼容": "integration_doubt",
}
"""The simulator's signal labels (``keywords.effects`` keys) → the lexicon's signal."""

# --------------------------------------------------------------------------- noise
WON_PRICE_TALK = [
    "能不能再便宜点?便宜点这周就签",
    "价格再优惠一点我们就定了",
    "零头抹掉吧,我好跟老板交代",
    "报价我们认了,付款方式再商量下",
    "贵是贵了点,但效果确实好",
    "多送点培训课时,价钱就按这个来",
]
NEGATED_MENTIONS = [
    "倒不是钱的问题,主要是想看看效果",
    "价格不是问题,关键看交付",
    "跟别家比过了,还是你们靠谱",
    "不是嫌贵,是想先试用一下",
    "对接方面我们IT说没啥问题",
    "时间上不着急,年底前定就行",
]
SMALL_TALK = [
    "好的好的",
    "收到,谢谢",
    "哈哈,客气了",
    "[表情]",
    "周末去哪玩了?",
    "最近降温了,注意身体",
    "中午吃了吗",
    "路上堵车,晚到十分钟",
    "今天开会开了一天,才看到",
    "节后再约吧",
    "发个定位给我",
    "明天下雨,改线上聊吧",
    "孩子开学了,这两天有点忙",
    "辛苦辛苦",
    "OK",
    "在吗?",
    "刚下飞机,晚点回你",
]
CUSTOMER_BUSINESS = [
    "方案收到了,我们内部过一下",
    "你把最新那版发我邮箱",
    "下周三下午可以来现场",
    "上线要多长时间?",
    "我们想先找几家用过的客户聊聊",
    "培训能不能安排在晚上?白天一线走不开",
    "售后是你们自己做还是外包?",
    "合同模板先发过来,法务要看",
    "我跟业务部门再碰一下",
    "演示的录屏能发一份吗",
]
REP_BUSINESS = [
    "王总,方案我微信发您了",
    "明天上午我到您那边",
    "合同我让法务再过一遍",
    "测试环境已经搭好了,您可以先体验",
    "上次说的案例资料整理好了",
    "您看周四方便吗?带技术同事过去",
    "会议纪要发群里了,您确认下",
    "实施那边排期出来了,我同步给您",
    "有问题随时找我",
    "节日快乐!",
]
EMERGING_TEMPLATES = [
    "财务今年要做{t},你们系统的数据能对上吗?",
    "{t}这块你们有没有经验?",
    "集团要求下半年完成{t},这个项目得配合",
    "听说你们帮别的客户做过{t}?",
]
"""The field world's emerging term (``emerging.term`` in simulator/configs/field.yaml) is a
real phrase of Chinese companies' 2024–2026 finance agenda (recording data resources as
balance-sheet assets), absent from every dictionary the product ships."""

TYPOS = {
    "已经": "以经",
    "在": "再",
    "的": "得",
    "吗": "嘛",
    "那边": "哪边",
    "部署": "布署",
    "账": "帐",
    "签字": "签子",
    "确认": "确任",
    "方案": "方按",
    "老板": "老版",
    "合同": "和同",
}
"""Pinyin-input slips: a homophone or near-homophone picked from the candidate list."""
TRADITIONAL = dict(
    zip(
        "这个们价钱没说买边给对来过还开会时间问题为与经务项统级厂发现让应该实话后见别单样数处业动产关东车签约优惠书报领导总员试长营钟门费确认压网条两专术资贵谈录",
        "這個們價錢沒說買邊給對來過還開會時間問題為與經務項統級廠發現讓應該實話後見別單樣數處業動產關東車簽約優惠書報領導總員試長營鐘門費確認壓網條兩專術資貴談錄",
        strict=True,
    )
)
"""Simplified → traditional for the characters these phrasings use."""


def add_typos(text: str, rng: np.random.Generator) -> str:
    """One pinyin slip, if the text has a word that invites one."""
    hits = [k for k in TYPOS if k in text]
    if not hits:
        return text
    k = hits[int(rng.integers(len(hits)))]
    return text.replace(k, TYPOS[k], 1)


def to_traditional(text: str) -> str:
    return "".join(TRADITIONAL.get(c, c) for c in text)


def distinctive_phrasings() -> list[str]:
    """Every whole phrasing of the lexicon (no seed may contain one verbatim)."""
    out = [p for v in LOSS_CHAT.values() for p in v] + [p for v in LOSS_NOTE.values() for p in v]
    out += [p for v in SIGNALS.values() for p in v]
    out += WON_PRICE_TALK + NEGATED_MENTIONS + CUSTOMER_BUSINESS + REP_BUSINESS
    return out
