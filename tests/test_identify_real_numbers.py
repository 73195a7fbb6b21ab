"""Real waybill numbers of Chinese carriers, each with where it was published.

Every number here was published by someone who had the parcel or the carrier's answer:
carrier-detection code and its tests, GitHub issues where users pasted their numbers,
and tracking replies (kuaidi100, kdniao, juhe, showapi) pasted into public code, most
with the parcel's scan history beside them. None is made up; placeholders seen in the
same places ("SF1234567890", "YT1234567890", "773012345678", "123123") were left out.

Sources, abbreviated:
  BFZH  BF-zh/Courier-Validation test/index.test.ts
  CGDS  chinagoods bigdata UDFLogisticNoValid.java, the examples in its comments
  K100  a kuaidi100 query or reply in public code (the file named after it)
  KDN   a kdniao (快递鸟) request or reply in public code (the file named after it)
  JUHE  a juhe.cn / showapi tracking reply in public code (the file named after it)
  #n    a GitHub issue or pull request: owner/repo #n

A number must come out as its carrier, or as "carrier unknown" with its carrier among
the candidates: never as another carrier. The courier's batch carrier always settles it.
"""

from __future__ import annotations

from collections import Counter

import pytest

from edge.carriers import Choice, choose, explain, recognise
from edge.identify import Identified, identify
from edge.messages import Message

# (number, carrier, source)
REAL = [
    # --- SF 顺丰 ---------------------------------------------------------------------
    ("SF1385628716739", "sf", "BFZH 顺丰"),
    ("254412284165", "sf", "roylez/alfred_kuaidi #12 (12 位顺丰)"),
    ("933346116516", "sf", "K100 push reply with 2015 scans, PHP callback sample"),
    ("786187979245", "sf", "K100 reply in a README (kuaidi100 query, 2016 scans)"),
    ("708329128335", "sf", "K100 poll/query.do URL in a C# comment"),
    ("243802161192", "sf", "K100 baidu.kuaidi100.com query URL in a Java comment"),
    ("304312442386", "sf", "K100 query URL in an Android test (testConnection)"),
    ("903773876792", "sf", "K100 query URL in a PHP comment"),
    ("221728091556", "sf", "K100 query in a Java spider (ShunfengPageParser)"),
    ("289283464329", "sf", "K100 query in a Java HttpWebResponseUtility test"),
    # --- ZTO 中通 --------------------------------------------------------------------
    ("73610555582883", "zto", "BFZH 中通"),
    ("432542035598773", "zto", "CGDS 中通快递"),
    ("75310813494280", "zto", "KDN 单号识别 reply, KdApiOrderBean.java"),
    ("494479590608", "zto", "KDN reply with 2018 scans (滁州定远县), Java comment"),
    ("454244690951", "zto", "KDN reply with 2017 scans (中吉武汉仓), parseJSON comment"),
    ("486118218996", "zto", "KDN reply with 2018 scans (北京丰台), WuliuBean.java"),
    ("434017443551", "zto", "K100 reply with 2017 scans (莆田秀屿), Swift model comment"),
    ("78109356970791", "zto", "K100 reply with 2019 scans (北京市朝阳区), Python comment"),
    ("640229783116", "zto", "K100 poll/query.do param in PHP"),
    ("701231893557", "zto", "K100 poll/query.do param in JS"),
    ("220192092873", "zto", "K100 reply with 2018 scans (杭州中转部), comment"),
    ("768108919277", "zto", "K100 reply saved in JS (2014)"),
    ("73108995922259", "zto", "K100 reply (中通速递, signed) in a Java bean"),
    ("720007749358", "zto", "K100 poll/query.do param in PHP"),
    # --- YTO 圆通 --------------------------------------------------------------------
    ("YT8962646785389", "yto", "BFZH 圆通"),
    ("820182839908", "yto", "uuk020/logistics #9 (圆通 12 位)"),
    ("200093247451", "yto", "K100 reply with 2015 scans, Groovy service"),
    ("700074134800", "yto", "K100 sample reply with 2015 scans (近邻宝), Java comment"),
    ("YT4242688631310", "yto", "K100 reply with 2019 scans, Java bean"),
    ("YT6186594166532", "yto", "K100 push with 2021 scans (苏州转运中心), PHP"),
    ("V030344422", "yto", "K100 API manual's reply example (上海分拨中心)"),
    ("883694722577193295", "yto", "K100 poll/query.do param in a PHP comment"),
    ("882456690862029473", "yto", "KDN query in fondon/logistics src/test/java/.../AppTest.java"),
    ("803302366676880171", "yto", "KDN reply with 2018 scans (南宁琅东), TriResponse.java"),
    ("710411594140", "yto", "KDN reply with 2017 scans (广州嘉和), ExpressBean.java"),
    ("YT5169544100040", "yto", "KDN reply with 2021 scans (诸暨), LogisticsBean.java"),
    ("YT5555508965056", "yto", "K100 reply, LeeypOR/store-decoration-uniapp logisticData.js"),
    # --- STO 申通 --------------------------------------------------------------------
    ("773277027280336", "sto", "BFZH 申通"),
    ("77316523125896", "sto", "CGDS 申通"),
    ("777357719949881", "sto", "KDN documentation's request example, quoted in Java"),
    ("773027491214552", "sto", "K100 reply with 2020 scans, comment"),
    ("221014000145", "sto", "K100 reply with 2015 scans, PHP"),
    ("221014000103", "sto", "K100 reply with 2015 scans, another PHP file"),
    ("668535524584", "sto", "K100 reply (2013), Result.java comment"),
    ("227213764418", "sto", "K100 push with 2016 scans, PHP"),
    ("668309355849", "sto", "K100 reply with 2013 scans (湖南衡阳), PHP comment"),
    ("7700438906817", "sto", "JUHE showapi query (com shentong) in JS"),
    ("3308071893931", "sto", "terryhuangbo/placeorder logistic/detail.php (申通, 2016 scans)"),
    ("3330118230232", "sto", "parcel station app data (shipperCode STO, 2017)"),
    # --- Yunda 韵达 ------------------------------------------------------------------
    ("463431409940372", "yunda", "BFZH 韵达"),
    ("462598779470531", "yunda", "CGDS 韵达"),
    ("3102408423621", "yunda", "7sDream/kd100 #3 (韵达)"),
    ("434999702940283", "yunda", "K100 poll param in a project's debugging notes"),
    ("3101959187888", "yunda", "K100 reply with 2018 scans (泸州), CheckLogisticsBean.java"),
    ("1201088260402", "yunda", "K100 reply with 2014 scans (广州番禺), JS test"),
    ("4310508235533", "yunda", "K100 push with 2020 scans (深圳), PHP"),
    ("3101738504868", "yunda", "K100 reply with 2018 scans, Java doc comment"),
    ("3944620313823", "yunda", "JUHE reply with 2016 scans (北京海淀), Track.java"),
    ("3914712788236", "yunda", "K100 query with its reply, a markdown note"),
    # --- J&T 极兔, and Best Express 百世 (J&T since 2021) ------------------------------
    ("JT5261988016578", "jtexpress", "BFZH 极兔"),
    ("JT0006968326954", "jtexpress", "CGDS 极兔"),
    ("JT3002232682242", "jtexpress", "CGDS 百世快递 (now J&T)"),
    ("JT0007457520454", "jtexpress", "Robotxm/BetterMiuiExpress #9"),
    ("JT5173231646160", "jtexpress", "Robotxm/BetterMiuiExpress #9"),
    ("JT5203235106664", "jtexpress", "K100 param (jtexpress) in JS"),
    ("50442951903914", "jtexpress", "K100 reply (huitongkuaidi, 2017 scans), C comment"),
    ("70267806030689", "jtexpress", "K100 reply (huitongkuaidi, 2016 scans, 太原), PHP"),
    ("70348608789265", "jtexpress", "K100 reply (huitongkuaidi, 2019 scans), PHP"),
    ("70048306456243", "jtexpress", "JUHE showapi reply (huitongkuaidi, 2016 scans, 南京)"),
    ("50905742808412", "jtexpress", "K100 reply (huitongkuaidi, 2018 scans), Java bean"),
    ("350757858666", "jtexpress", "K100 reply (huitongkuaidi) in an API-test write-up"),
    # --- JD 京东 ---------------------------------------------------------------------
    ("JDX024407261700", "jd", "BFZH 京东"),
    ("JDVA11408814483", "jd", "CGDS 京东物流"),
    ("JD0076810060555", "jd", "K100 push with 2022 scans (京东物流), curl"),
    ("JD0092198586855", "jd", "K100 query URL (type=jingdong) in a comment"),
    ("JDVC14368245107123", "jd", "K100 query (type=jd) in an Electron app"),
    ("VC34438354672", "jd", "K100 query (type=jd) in PHP"),
    ("VB40641457651", "jd", "K100 query (type=jd) in an R script"),
    ("64587611799", "jd", "KDN request (ShipperCode JD) in Swift"),
    ("57376073162", "jd", "JUHE reply with 2017 scans (重庆巴南), CourierData.java"),
    ("60066247971", "jd", "K100 query (type=jd) in Python"),
    ("97408130042", "jd", "K100 query (type=jd) in a Java comment"),
    ("80384626272", "jd", "K100 query (type=jd) in Python"),
    # --- EMS -------------------------------------------------------------------------
    ("1186465887499", "ems", "JUHE reply with 2016 scans (郴州), KdBeanResults.java"),
    ("1097273463220", "ems", "K100 reply with 2016 scans (上海), TS mock"),
    ("1193282791013", "ems", "K100 reply with 2019 scans (杭州), JSON in PHP"),
    ("5042260908504", "ems", "KDN push with 2015 scans (深圳横岗), SubReqData.java"),
    ("1199965242414", "ems", "KDN reply with 2018 scans (天津武清), LogisticsBean.java"),
    ("1115785780598", "ems", "K100 query (type=ems) in Java"),
    ("1085160751132", "ems", "K100 query (type=ems) in Python"),
    ("1006739505821", "ems", "K100 query URL (type=ems) in a TS comment"),
    ("9745531155532", "ems", "K100 query URL (type=ems) in a Retrofit comment"),
    ("1059105904127", "ems", "JUHE reply with 2018 scans (杭州萧山), CourierBean.java"),
    ("1128840230208", "ems", "JUHE reply with 2017 scans (朱家角), Data.java"),
    ("EM263999513JP", "ems", "K100 international API's request example (company ems)"),
    # --- China Post 中国邮政 -----------------------------------------------------------
    ("1207119765021", "chinapost", "BFZH 邮政"),
    ("1240921381750", "chinapost", "CGDS 邮政快递包裹"),
    ("4309597495550", "chinapost", "CGDS 邮政快递包裹"),
    ("9862325358361", "chinapost", "K100 reply with 2020 scans (北京邮件处理中心)"),
    ("9977937814368", "chinapost", "K100 query (type=youzhengguonei) in Java"),
    ("9894779374320", "chinapost", "K100 query (type=youzhengguonei) in JS"),
    ("9893442769997", "chinapost", "K100 query (type=youzhengguonei) in Python"),
    ("9893408007637", "chinapost", "K100 autoComNum and query in Node"),
    ("9880416657103", "chinapost", "logistics search (邮政小包) in a Python API test"),
    ("CP337500215CN", "chinapost", "hdnpt/geartrack #49 (China Post parcel)"),
    # --- Deppon 德邦 -----------------------------------------------------------------
    ("DPK202252612836", "deppon", "BFZH 德邦"),
    ("DPK364112047425", "deppon", "CGDS 德邦快递"),
    ("DPK300585915441", "deppon", "CGDS 德邦"),
    ("8478081206", "deppon", "K100 reply (debangwuliu, 2019 scans), ExpressInfo.java"),
    ("9473736974", "deppon", "K100 query (type=debangwuliu) in PHP"),
    ("9986459371", "deppon", "K100 query (type=debangwuliu) in Java"),
    ("DPK365090306876", "deppon", "Deppon newTraceQuery script (真单轨迹, a real waybill)"),
    ("DPK366013054101", "deppon", "logistics trace reply (cpCode DBKD, signed 2021-11-05)"),
    ("DPK364726554807", "deppon", "order export (德邦快递, 3.89KG parcel)"),
    ("DPK368003231617", "deppon", "order attribute expressNo (物流单号) in Java"),
    ("DPK202023493529", "deppon", "Alipay template message mailNo in Java"),
    ("DPK202058224204", "deppon", "order reply (deliveryId, 2022-04 order) in a comment"),
    # --- ZJS 宅急送 ------------------------------------------------------------------
    ("3944490863", "zjs", "K100 reply (zhaijisong, 2016 scans), Java comment"),
    ("ZJS001001439213", "zjs", "a waybill looked up in a MongoDB query test"),
    ("ZJS000301211805", "zjs", "Cainiao cloud-print request (waybill_code) in Java"),
    # --- Cainiao 菜鸟 ----------------------------------------------------------------
    ("LP00068434402473", "cainiao", "hdnpt/geartrack #10 (shown by global.cainiao.com)"),
    ("LP00071653567725", "cainiao", "hdnpt/geartrack #10"),
    ("63590000017347601815002", "cainiao", "hdnpt/geartrack-website #50 (Cainiao)"),
]

# A real JD number shaped like a mobile (1[3-9] + 9 digits): without the batch carrier
# it is refused at receive as a phone, and elsewhere it has no candidate; with a JD
# batch it is JD's. Either way no other carrier is named.
PHONE_SHAPED = [("17309087617", "jd", "K100 query (type=jd) in Python")]

# Carriers with fewer than 10 public numbers found. Searched: kuaidi100/kdniao replies in
# code (com/ShipperCode for each carrier, type=…&postid=), GitHub issues in Chinese and
# English, carrier-detection libraries (BF-zh, chinagoods, packagex vision-sdk) and the
# pages corpus. ZJS: zhaijisong, "ZJS0…" and ZJS in kdniao codes gave three (a fourth,
# from an order marked 测试, was left out). Cainiao: its domestic numbers appear nowhere
# public; three of its cross-border numbers (LP…, numeric) did. Douyin e-commerce ships
# with the carriers above; 极兔 (Jitu) is J&T, counted as jtexpress.
FEWER_THAN_10 = {"zjs": 3, "cainiao": 3}


@pytest.mark.parametrize(("code", "carrier", "source"), REAL)
def test_a_real_number_names_its_carrier_or_none(code: str, carrier: str, source: str) -> None:
    r = recognise(code)
    assert carrier in r.carriers, source
    assert r.carrier in (carrier, None), source
    # `station waybill` answers the same, and never another carrier.
    answer = explain(code)
    assert answer["carrier"] in (carrier, None) and carrier in answer["carriers"]
    assert choose(code, r, manifest=None, batch=carrier) == Choice(carrier, "batch")


@pytest.mark.parametrize(("code", "carrier", "source"), PHONE_SHAPED)
def test_a_real_number_shaped_like_a_phone_needs_its_batch_carrier(
    code: str, carrier: str, source: str
) -> None:
    refused = identify(code, "receive", None)
    assert isinstance(refused, Message) and refused.key == "phone_number", source
    found = identify(code, "receive", carrier)
    assert isinstance(found, Identified) and found.shaped and found.waybill == code
    r = found.recognition
    assert r.carrier is None and carrier not in r.carriers
    assert choose(code, r, manifest=None, batch=carrier) == Choice(carrier, "batch")


def test_ten_real_numbers_per_carrier_unless_fewer_are_public() -> None:
    counts = Counter(carrier for _, carrier, _ in REAL + PHONE_SHAPED)
    ten = ("sf", "zto", "yto", "sto", "yunda", "jtexpress", "jd", "ems", "chinapost", "deppon")
    for carrier in ten:
        assert counts[carrier] >= 10, carrier
    assert {c: counts[c] for c in FEWER_THAN_10} == FEWER_THAN_10
    every = REAL + PHONE_SHAPED
    assert len({code for code, _, _ in every}) == len(every)
    assert all(source.strip() for _, _, source in every)


@pytest.mark.parametrize(
    ("code", "carrier"),
    [
        ("SF1385628716739", "sf"),
        ("YT8962646785389", "yto"),
        ("73610555582883", "zto"),
        ("77316523125896", "sto"),
        ("463431409940372", "yunda"),
        ("JT5261988016578", "jtexpress"),
        ("JDVA11408814483", "jd"),
        ("VC34438354672", "jd"),
        ("DPK202252612836", "deppon"),
        ("LP00068434402473", "cainiao"),
    ],
)
def test_a_number_with_the_carrier_s_own_letters_names_it(code: str, carrier: str) -> None:
    r = recognise(code)
    assert (r.carrier, r.confidence) == (carrier, "pattern")
