#!/usr/bin/env python3
"""Build crates/passport/profiles/battery.json from the Battery Pass v1.2 sources.

Inputs (in the repository, see testdata/batterypass/SOURCE.txt):
  testdata/batterypass/<Aspect>-schema.json   the seven Battery Pass v1.2 aspect schemas (draft-04,
                                              definitions under components.schemas)
  testdata/batterypass/attribute-longlist-v1.2.csv   the 93-attribute longlist (header at CSV row 5)

Output: crates/passport/profiles/battery.json, a junkan passport profile whose schema is one
draft-04 document.  Each aspect's components.schemas entries are copied into the root
"definitions" under "<Aspect>.<Name>", every "#/components/schemas/<Name>" reference is rewritten
to "#/definitions/<Aspect>.<Name>", and the aspect's root schema is placed, otherwise unchanged,
under properties.<Aspect>.  The field list is generated from the CSV (access, static/dynamic,
granularity, regulation reference, unit, English name and definition) plus the hand-written
MAPPING table below (attribute number -> JSON pointer(s) into the data object, Japanese label and
description, information item).

Only change to the aspect schemas: JSON Schema requires the members of "enum" to be unique
(draft-04 meta-schema: uniqueItems), and Circularity's RecycledMaterial enum lists each metal
twice; the copy drops the repeated members, which accepts exactly the same values.

Python 3 standard library only.  Run from anywhere:  python3 tools/profiles/build_battery_profile.py
"""

import copy
import csv
import json
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SRC = os.path.join(ROOT, "testdata", "batterypass")
OUT = os.path.join(ROOT, "crates", "passport", "profiles", "battery.json")

# data property -> source file (order = order in the data object)
ASPECTS = [
    ("GeneralProductInformation", "GeneralProductInformation-schema.json"),
    ("CarbonFootprint", "CarbonFootprintForBatteries-schema.json"),
    ("SupplyChainDueDiligence", "SupplyChainDueDiligence-schema.json"),
    ("MaterialComposition", "MaterialComposition-schema.json"),
    ("Circularity", "Circularity-schema.json"),
    ("PerformanceAndDurability", "PerformanceAndDurability-schema.json"),
    ("Labeling", "Labeling-schema.json"),
]

ATTR_PREFIX = "BatteryPass-1.2#"

# ---------------------------------------------------------------------------------------------
# Mapping table: attribute number -> (pointers, information item, ja label, ja description,
# options).  Pointers are relative to the data object.  A comment marks every judgment call
# (attribute without its own property, several attributes on one property, CSV vs schema
# disagreements).  Where several attributes share one pointer they have the same access level
# (check_profiles.py enforces that).
GPI = "/GeneralProductInformation"
CF = "/CarbonFootprint"
SC = "/SupplyChainDueDiligence"
MC = "/MaterialComposition"
CI = "/Circularity"
TP = "/PerformanceAndDurability/batteryTechicalProperties"  # sic: "Techical" in the v1.2 schema
BC = "/PerformanceAndDurability/batteryCondition"
LA = "/Labeling"

ID, COMP, ENV, REM, WASTE, AVAIL = (
    "identification", "composition", "environmental_value", "remaining_value", "waste", "availability")

MAPPING = {
    1: ([GPI + "/batteryPassportIdentifier"], ID, "バッテリーパスポート識別子",
        "電池パスポート自体を一意に識別する識別子。1個の電池に複数のパスポートが紐づく場合に区別する。"),
    2: ([GPI + "/productIdentifier"], ID, "電池識別子",
        "個々の電池を一意に識別し、QRコードからパスポートへリンクする識別子（ISO/IEC 15459準拠）。"),
    3: ([GPI + "/operatorInformation"], ID, "事業者識別子・事業者情報",
        "電池を上市する経済事業者の識別子、名称、所在地、連絡先。"),
    4: ([GPI + "/manufacturerInformation"], ID, "製造者識別子・製造者情報",
        "電池製造者の識別子、名称、所在地、連絡先。"),
    5: ([GPI + "/manufacturingPlace"], ID, "製造場所",
        "電池を製造した工場の所在地（国・郵便番号・住所）。"),
    6: ([GPI + "/manufacturingDate"], ID, "製造年月日",
        "電池の製造年月（日）。ISO 8601形式。"),
    7: ([GPI + "/puttingIntoService"], ID, "使用開始日",
        "電池を使用に供した（車両等に搭載して稼働を開始した）日時。"),
    # The v1.2 schema types warrentyPeriod as xsd:gMonth ("--MM"), so it can only hold 1-12 months;
    # longer commercial warranties cannot be expressed (reported upstream-style in README).
    8: ([GPI + "/warrentyPeriod"], ID, "保証期間",
        "商業保証が適用される期間。v1.2スキーマでは月数（--MM形式）で表す。"),
    9: ([GPI + "/batteryCategory"], ID, "電池カテゴリー",
        "電池規則上の区分（LMT用電池、EV用電池、定置用電池、その他の産業用電池）。"),
    10: ([GPI + "/batteryMass"], ID, "電池質量",
         "電池全体の質量。"),
    11: ([GPI + "/batteryStatus"], REM, "電池の状態",
         "電池のライフサイクル上の状態（オリジナル、用途変更、再使用、再製造、廃棄物）。"),
    # #12-#14: the Labeling aspect carries all symbols as entries of one "labels" list, told apart
    # by labelingSubject (SeparateCollection / HazardousMaterial / CarbonFootPrint); a pointer cannot
    # select by value, so the three attributes share the list's pointer.
    12: ([LA + "/labels"], ID, "分別収集マーク",
         "分別収集を示す記号（車輪付きごみ箱に×印）。labels の labelingSubject = SeparateCollection の項目。"),
    13: ([LA + "/labels"], ID, "カドミウム・鉛の表示記号",
         "カドミウム・鉛を閾値を超えて含む場合の化学記号表示。labels の labelingSubject = HazardousMaterial の項目。"),
    14: ([LA + "/labels"], ID, "カーボンフットプリント表示",
         "カーボンフットプリントと性能クラスを示すラベル。labels の labelingSubject = CarbonFootPrint の項目。"),
    # #15 is public and item-level; its property sits inside Circularity's safetyMeasures (#39,
    # legitimate interest), so the longer pointer makes the extinguishing agent itself public.
    15: ([CI + "/safetyMeasures/extinguishingAgent"], ID, "消火剤",
         "電池火災に使用できる消火剤。"),
    16: ([LA + "/labels/*/labelingMeaning"], ID, "表示・記号の意味",
         "電池及び包装に表示された記号・ラベルの意味の説明（多言語）。"),
    17: ([LA + "/declarationOfConformity"], ID, "EU適合宣言書",
         "EU適合宣言書（Declaration of Conformity）へのリンク。"),
    18: ([LA + "/resultOfTestReport"], ID, "適合性を証明する試験報告書",
         "規則の要求事項への適合を証明する試験報告書の結果へのリンク。"),
    19: ([CF + "/batteryCarbonFootprint"], ENV, "機能単位当たりのカーボンフットプリント",
         "電池の使用期間中に供給する総エネルギー1 kWh当たりのカーボンフットプリント（kg CO2e/kWh）。"),
    # #20-#23: one list of {lifecycleStage, carbonFootprint}; the stage is told apart by the
    # lifecycleStage value (RawMaterialExtraction, MainProduction, Distribution, Recycling).
    20: ([CF + "/carbonFootprintPerLifecycleStage"], ENV, "原材料調達・前処理段階の寄与",
         "原材料の調達及び前処理段階がカーボンフットプリントに占める割合（lifecycleStage = RawMaterialExtraction）。"),
    21: ([CF + "/carbonFootprintPerLifecycleStage"], ENV, "主製品製造段階の寄与",
         "電池本体の製造段階がカーボンフットプリントに占める割合（lifecycleStage = MainProduction）。"),
    22: ([CF + "/carbonFootprintPerLifecycleStage"], ENV, "流通段階の寄与",
         "流通（輸送）段階がカーボンフットプリントに占める割合（lifecycleStage = Distribution）。"),
    23: ([CF + "/carbonFootprintPerLifecycleStage"], ENV, "使用済み・リサイクル段階の寄与",
         "使用済み段階及びリサイクル段階がカーボンフットプリントに占める割合（lifecycleStage = Recycling）。"),
    24: ([CF + "/carbonFootprintPerformanceClass"], ENV, "カーボンフットプリント性能クラス",
         "製造工場ごとの電池モデルが該当するカーボンフットプリント性能クラス（Aが最良）。"),
    25: ([CF + "/carbonFootprintStudy"], ENV, "カーボンフットプリント算定報告書の公開URL",
         "カーボンフットプリントの値を裏付ける算定報告書（公開版）へのリンク。"),
    # #26 has no property of its own: mapped to the nearest containing property, the
    # CarbonFootprint aspect root (the declaration as a whole).
    26: ([CF], ENV, "電池・製造者の一般情報（CFP宣言）",
         "カーボンフットプリント宣言に含める電池モデル・製造者・製造工場の一般情報。v1.2スキーマには専用の項目がないため、カーボンフットプリント全体に対応付ける。"),
    27: ([CF + "/absoluteCarbonFootprint"], ENV, "電池のカーボンフットプリント（総量）",
         "電池1個当たりのカーボンフットプリントの絶対値。"),
    28: ([SC + "/supplyChainDueDiligenceReport"], ENV, "デューデリジェンス報告書の情報",
         "サプライチェーン・デューデリジェンス方針、リスク管理及び第三者検証の結果をまとめた報告書へのリンク。"),
    29: ([SC + "/thirdPartyAussurances"], ENV, "認定スキームによる第三者保証",
         "認定されたスキームによる第三者保証（監査・認証）の情報へのリンク。"),
    30: ([SC + "/supplyChainIndicies"], ENV, "サプライチェーン指標",
         "サプライチェーン・デューデリジェンスの実施状況を示す指標値。"),
    31: ([MC + "/batteryChemistry"], COMP, "電池化学系",
         "電池の化学系（略称と正式名称）。"),
    # #32: the schema has no separate critical-raw-material list; the information is the
    # isCriticalRawMaterial flag together with the material name inside batteryMaterials, whose
    # remaining details (mass, CAS number, location) are #33 (legitimate interest).  Name and flag
    # are therefore made public under #32.
    32: ([MC + "/batteryMaterials/*/isCriticalRawMaterial", MC + "/batteryMaterials/*/batteryMaterialName"],
         COMP, "重要原材料",
         "電池に含まれる重要原材料（EU重要原材料リスト掲載物質）の有無と名称。"),
    33: ([MC + "/batteryMaterials"], COMP, "正極・負極・電解液の使用材料",
         "正極、負極、電解液等に使用される材料の名称、CAS番号、質量、使用部位の詳細組成。"),
    34: ([MC + "/hazardousSubstances"], COMP, "有害物質",
         "水銀・カドミウム・鉛以外に電池に含まれる有害物質の名称、CAS番号、有害性区分、濃度、含有部位。"),
    35: ([MC + "/hazardousSubstances/*/hazardousSubstanceImpact"], COMP, "含有物質の環境・健康・安全への影響",
         "電池に含まれる物質、特に有害物質が環境、人の健康及び安全に与える影響。"),
    36: ([CI + "/dismantlingAndRemovalInformation"], WASTE, "解体情報（取外し・解体マニュアル）",
         "電池パックの取外し・解体のためのマニュアル、分解図、部品表、3Dモデル等へのリンク。"),
    37: ([CI + "/sparePartSources/*/components"], AVAIL, "構成部品の部品番号",
         "交換可能な構成部品の名称と部品番号。"),
    38: ([CI + "/sparePartSources"], AVAIL, "交換部品の入手先情報",
         "交換部品の供給元の名称、住所、電子メール、ウェブサイト。"),
    39: ([CI + "/safetyMeasures"], WASTE, "安全対策",
         "電池の取扱い・解体時の安全対策（安全指示書）。"),
    # #40-#47: one list of {recycledMaterial, preConsumerShare, postConsumerShare}; the metal is
    # told apart by recycledMaterial (Nickel, Cobalt, Lithium, Lead).
    40: ([CI + "/recycledContent/*/preConsumerShare"], ENV, "ニッケルのプレコンシューマ再生材含有率",
         "電池に含まれるニッケルのうち、電池製造工程くず（プレコンシューマ材料）から回収されたものの割合（recycledMaterial = Nickel）。"),
    41: ([CI + "/recycledContent/*/preConsumerShare"], ENV, "コバルトのプレコンシューマ再生材含有率",
         "電池に含まれるコバルトのうち、電池製造工程くず（プレコンシューマ材料）から回収されたものの割合（recycledMaterial = Cobalt）。"),
    42: ([CI + "/recycledContent/*/preConsumerShare"], ENV, "リチウムのプレコンシューマ再生材含有率",
         "電池に含まれるリチウムのうち、電池製造工程くず（プレコンシューマ材料）から回収されたものの割合（recycledMaterial = Lithium）。"),
    43: ([CI + "/recycledContent/*/preConsumerShare"], ENV, "鉛のプレコンシューマ再生材含有率",
         "電池に含まれる鉛のうち、電池製造工程くず（プレコンシューマ材料）から回収されたものの割合（recycledMaterial = Lead）。"),
    44: ([CI + "/recycledContent/*/postConsumerShare"], ENV, "ニッケルのポストコンシューマ再生材含有率",
         "電池に含まれるニッケルのうち、使用済み電池等の使用後の製品（ポストコンシューマ材料）から回収されたものの割合（recycledMaterial = Nickel）。"),
    45: ([CI + "/recycledContent/*/postConsumerShare"], ENV, "コバルトのポストコンシューマ再生材含有率",
         "電池に含まれるコバルトのうち、使用後の製品（ポストコンシューマ材料）から回収されたものの割合（recycledMaterial = Cobalt）。"),
    46: ([CI + "/recycledContent/*/postConsumerShare"], ENV, "リチウムのポストコンシューマ再生材含有率",
         "電池に含まれるリチウムのうち、使用後の製品（ポストコンシューマ材料）から回収されたものの割合（recycledMaterial = Lithium）。"),
    47: ([CI + "/recycledContent/*/postConsumerShare"], ENV, "鉛のポストコンシューマ再生材含有率",
         "電池に含まれる鉛のうち、使用後の製品（ポストコンシューマ材料）から回収されたものの割合（recycledMaterial = Lead）。"),
    48: ([CI + "/renewableContent"], ENV, "再生可能資源含有率",
         "電池に含まれる再生可能資源（バイオマス由来材料等）の割合。"),
    49: ([CI + "/endOfLifeInformation/wastePrevention"], WASTE, "廃棄物発生抑制におけるエンドユーザーの役割",
         "電池の長寿命化等、廃棄物の発生抑制にエンドユーザーが果たす役割に関する情報。"),
    50: ([CI + "/endOfLifeInformation/separateCollection"], WASTE, "使用済み電池の分別収集におけるエンドユーザーの役割",
         "使用済み電池を他の廃棄物と分けて排出する等、分別収集にエンドユーザーが果たす役割に関する情報。"),
    51: ([CI + "/endOfLifeInformation/informationOnCollection"], WASTE, "電池の回収・セカンドライフ準備・使用済み処理に関する情報",
         "使用済み電池の回収・引取り拠点、セカンドライフに向けた準備及び使用済み電池の処理に関する情報。"),
    52: ([TP + "/ratedCapacity"], ID, "定格容量",
         "基準条件下で満充電状態から取り出せる総電気量（Ah）。"),
    53: ([BC + "/remainingCapacity"], REM, "残存容量",
         "現時点で取り出せる電気量。定格容量に対応する使用中の値。"),
    # #54: CSV says static / battery model; the schema puts it in batteryCondition with a
    # lastUpdate timestamp.  The CSV is followed for dynamic/granularity.
    54: ([BC + "/capacityFade"], REM, "容量劣化率",
         "定格容量に対する、時間経過と使用に伴う容量の低下率。"),
    # #55: the schema names it ratedEnergy; its description is the certified usable energy (UN GTR 22).
    55: ([TP + "/ratedEnergy"], ID, "認証済み使用可能エネルギー",
         "UN GTR No.22の手順により車両認証時に決定された使用可能エネルギー。"),
    56: ([BC + "/remainingEnergy"], REM, "残存使用可能エネルギー",
         "現時点の使用可能エネルギー（UN GTR No.22の手順による）。"),
    57: ([BC + "/stateOfCertifiedEnergy"], REM, "認証エネルギー維持率（SOCE）",
         "認証済み使用可能エネルギーに対する、現時点の使用可能エネルギーの割合。"),
    58: ([BC + "/stateOfCharge"], REM, "充電率（SoC）",
         "定格容量に対する現在の残存電気量の割合。"),
    59: ([TP + "/minimumVoltage"], ID, "最低電圧", "安全に使用できる電圧の下限値。"),
    60: ([TP + "/maximumVoltage"], ID, "最高電圧", "安全に使用できる電圧の上限値。"),
    61: ([TP + "/nominalVoltage"], ID, "公称電圧", "電池を表示・識別するための電圧の近似値。"),
    62: ([TP + "/originalPowerCapability"], ID, "初期出力性能",
         "使用開始前の出力性能。SoC 80 %及び20 %で測定した値。"),
    63: ([BC + "/remainingPowerCapability"], REM, "残存出力性能",
         "現時点の出力性能（可能な場合、SoC 80 %及び20 %で測定）。"),
    64: ([BC + "/powerFade"], REM, "出力劣化率",
         "時間経過と使用に伴う出力の低下率。"),
    65: ([TP + "/ratedMaximumPower"], ID, "最大許容出力",
         "電池の定格上の最大許容出力（出力制限）。"),
    # #66: two schema properties describe the same ratio (powerCapabilityRatio and the optional
    # cRate); both carry #66.
    66: ([TP + "/powerCapabilityRatio", TP + "/cRate"], ID, "公称出力とエネルギーの比",
         "公称出力（W）と電池エネルギー（Wh）の比。用途に応じた充放電レートの目安。"),
    67: ([TP + "/roundtripEfficiency"], ID, "初期充放電エネルギー効率",
         "使用開始前の往復（ラウンドトリップ）エネルギー効率。放電量と充電に要したエネルギーの比。"),
    # #68: public, static model value; the schema places it in batteryCondition.
    68: ([BC + "/roundTripEfficiencyat50PerCentCycleLife"], REM, "サイクル寿命50 %時点の充放電エネルギー効率",
         "期待サイクル寿命の50 %時点における往復エネルギー効率。"),
    69: ([BC + "/remainingRoundTripEnergyEfficiency"], REM, "残存充放電エネルギー効率",
         "現時点の往復エネルギー効率。"),
    70: ([BC + "/roundTripEfficiencyFade"], REM, "充放電エネルギー効率の低下率",
         "往復エネルギー効率の低下の割合。"),
    71: ([TP + "/initialSelfDischarge"], ID, "初期自己放電率",
         "使用開始時の基準条件下における休止状態での自己放電率。"),
    72: ([BC + "/currentSelfDischargingRate"], REM, "現在の自己放電率",
         "現時点の基準条件下における休止状態での自己放電率。"),
    73: ([BC + "/evolutionOfSelfDischarge"], REM, "自己放電率の推移",
         "初期及び現在の自己放電率から算出した、自己放電率の経時変化。"),
    74: ([TP + "/initialInternalResistance"], ID, "初期内部抵抗（セル・パック）",
         "使用開始時のセル及びパック（推奨：モジュール）の内部抵抗。"),
    75: ([BC + "/internalResistanceIncrease"], REM, "内部抵抗上昇率（パック）",
         "時間経過と使用に伴うパック（推奨：セル・モジュール）の内部抵抗の上昇率。"),
    76: ([TP + "/expectedLifetime"], REM, "期待寿命（年数）",
         "設計上の基準条件下における期待寿命（暦年）。"),
    77: ([TP + "/expectedNumberOfCycles"], REM, "期待寿命（充放電サイクル数）",
         "設計上の基準条件下における期待寿命（充放電サイクル数）。"),
    78: ([BC + "/numberOfFullCycles"], REM, "完全充放電サイクル数",
         "使用開始以降の完全充放電サイクル数（等価サイクル数）。"),
    79: ([TP + "/lifetimeReferenceTest"], ID, "サイクル寿命の基準試験",
         "期待サイクル寿命の算定に用いた基準試験（試験方法・条件）へのリンク。"),
    80: ([TP + "/cRateLifeCycleTest"], ID, "サイクル寿命試験のCレート",
         "サイクル寿命試験で適用した充放電レート。"),
    81: ([BC + "/energyThroughput"], REM, "エネルギースループット（累積充放電電力量）",
         "使用開始以降に電池を通過したエネルギーの累計。"),
    82: ([BC + "/capacityThroughput"], REM, "容量スループット（累積充放電電気量）",
         "使用開始以降に電池を通過した電気量の累計。"),
    83: ([TP + "/capacityThresholdForExhaustion"], REM, "寿命到達とみなす容量しきい値",
         "現在の用途で使用可能とみなされるSOCEの下限（これを下回ると寿命到達）。"),
    # #84 has no single property: mapped to the temperatureInformation object (which holds #87-#90).
    84: ([BC + "/temperatureInformation"], REM, "温度情報",
         "使用中に定期的に記録する周囲温度等の運転環境条件。v1.2スキーマでは温度条件の記録（#87〜#90を含む）に対応付ける。"),
    # #85/#86: the v1.2 schema models the idle-state temperature range as ONE number
    # (temperatureRangeIdleState, -20..60 °C) described as "upper and lower boundary"; both
    # attributes share it and the example gives the lower boundary.  The upper boundary cannot be
    # expressed separately.
    85: ([TP + "/temperatureRangeIdleState"], ID, "休止時温度範囲の下限",
         "休止状態で電池が安全に耐えられる周囲温度範囲の下限。v1.2スキーマでは上限・下限が1つの数値項目で表される。"),
    86: ([TP + "/temperatureRangeIdleState"], ID, "休止時温度範囲の上限",
         "休止状態で電池が安全に耐えられる周囲温度範囲の上限。v1.2スキーマでは上限・下限が1つの数値項目で表される。"),
    87: ([BC + "/temperatureInformation/timeExtremeHighTemp"], REM, "上限温度超過時間",
         "周囲温度が温度範囲の上限を超えていた累積時間。"),
    88: ([BC + "/temperatureInformation/timeExtremeLowTemp"], REM, "下限温度未満時間",
         "周囲温度が温度範囲の下限を下回っていた累積時間。"),
    89: ([BC + "/temperatureInformation/timeExtremeHighTempCharging"], REM, "上限温度超過時の充電時間",
         "周囲温度が上限を超えている間に充電していた累積時間。"),
    90: ([BC + "/temperatureInformation/timeExtremeLowTempCharging"], REM, "下限温度未満時の充電時間",
         "周囲温度が下限を下回っている間に充電していた累積時間。"),
    # #91-#93: the schema has only a list of negative events (text + timestamp); counts of deep
    # discharge and overcharge events and accident information are recorded as its entries.
    91: ([BC + "/negativeEvents"], REM, "過放電発生回数",
         "電圧が運転下限を下回った（過放電）回数。v1.2スキーマでは負の事象（negativeEvents）の記録に含める。"),
    92: ([BC + "/negativeEvents"], REM, "過充電発生回数",
         "電圧が運転上限を超えた（過充電）回数。v1.2スキーマでは負の事象（negativeEvents）の記録に含める。"),
    93: ([BC + "/negativeEvents"], REM, "事故情報",
         "使用中に発生した事故（衝突、浸水、火災等）に関する情報。"),
}

# Fields without a longlist attribute: search entries and containers that give a level to
# properties no attribute names.
EXTRA_FIELDS = [
    {"pointer": CI + "/recycledContent/*/recycledMaterial", "access": "public", "information": ENV,
     "label": {"ja": "再生材の対象金属", "en": "Recycled material"},
     "description": {"ja": "再生材含有率（#40〜#47）の対象となる金属（ニッケル、コバルト、リチウム、鉛）。",
                     "en": "The metal (nickel, cobalt, lithium, lead) a recycled-content entry (#40-#47) refers to."},
     "regulation": "EU 2023/1542 Art. 8(1); Annex XIII (1e)", "dynamic": False, "granularity": "model",
     "search": "material"},
    {"pointer": TP, "access": "public", "information": ID,
     "label": {"ja": "電池の技術特性", "en": "Battery technical properties"},
     "description": {"ja": "電池モデルの性能・耐久性に関する静的な技術特性。個別の項目は各属性のアクセス区分に従う。",
                     "en": "Static performance and durability properties of the battery model; each attribute below carries its own access level."},
     "dynamic": False, "granularity": "model"},
    {"pointer": BC, "access": "legitimate_interest", "information": REM,
     "label": {"ja": "電池の状態（使用中データ）", "en": "Battery condition"},
     "description": {"ja": "使用に伴って変化する電池の状態（健全性）データ。個別の項目は各属性のアクセス区分に従う。",
                     "en": "In-use (state of health) data of the individual battery; each attribute below carries its own access level."},
     "dynamic": True, "granularity": "item"},
]

# Search entries added to attribute fields (pointer -> search kind); only on public fields.
SEARCH = {
    MC + "/batteryMaterials/*/batteryMaterialName": "material",
    MC + "/hazardousSubstances/*/hazardousSubstanceName": "material",
}
# Additional pointers for an attribute that need a search entry (public, same attribute).
EXTRA_POINTERS = {34: [MC + "/hazardousSubstances/*/hazardousSubstanceName"]}

# Units: CSV unit -> UCUM-style symbol used in junkan profiles.
UNITS = {
    "kg": "kg", "kgCO2e/kWh": "kg CO2e/kWh", "[tCO2e]": "t CO2e", "%": "%", "Ah": "Ah", "kWh": "kWh",
    "V": "V", "W": "W", "W/Wh": "W/Wh", "%/month": "%/mo", "Ohm": "Ohm", "years": "a",
    "A/Ah": "A/Ah", "°C": "°C", "Minutes": "min",
}
UNIT_OVERRIDE = {77: "cycles", 78: "cycles"}  # CSV "-" (a count of cycles)
# #26 is the CarbonFootprint root; #84 is the temperature record object: no single unit.
NO_UNIT = {84}

ACCESS = {
    "public": "public",
    "persons with a legitimate interest": "legitimate_interest",
    "persons with a legitimate interest and the commission": "legitimate_interest",
    "notified bodies, market surveillance authorities and the commission": "authority",
}

GRANULARITY = {"battery model": "model", "individual battery": "item"}

# English descriptions for attributes whose CSV definition and requirement columns are both "-".
EN_FALLBACK = {
    3: "Identifier and contact information (name, postal address, web and e-mail address) of the economic operator placing the battery on the market. Introduced by the ESPR (Annex III(h)); not mandatory for batteries.",
    27: "Absolute carbon footprint of one battery (not per functional unit).",
    29: "Third-party assurances (audits, certifications) of the supply chain due diligence by recognised schemes.",
    30: "Indices describing the supply chain due diligence performance.",
}


def clean(s):
    return re.sub(r"\s+", " ", s.replace("\u00a0", " ")).strip()


def first_paragraph(s, limit=600):
    s = s.strip()
    if not s or s == "-":
        return ""
    para = clean(s.split("\n\n")[0])
    if len(para) > limit:
        cut = para[:limit]
        dot = cut.rfind(". ")
        para = cut[: dot + 1] if dot > 100 else cut.rstrip() + "…"
    return para


def regulation(ref):
    ref = clean(ref).strip(";").strip()
    if not ref or ref.lower() in ("n.a.", "-"):
        return None
    if ref.startswith("Test methods"):
        return "CEN/CENELEC standardisation request M/579 (test methods pending)"
    if ref.startswith("The operator identifier"):
        return "ESPR Annex III(h) (not mandatory for batteries)"
    if ref.startswith(("Annex", "Art", "Article")):
        return "EU 2023/1542 " + ref
    return ref


def read_longlist():
    with open(os.path.join(SRC, "attribute-longlist-v1.2.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = [clean(h) for h in rows[4]]
    col = {name: header.index(name) for name in header if name}

    def c(prefix):
        for name, i in col.items():
            if name.startswith(prefix):
                return i
        raise KeyError(prefix)

    idx = dict(
        num=c("#"), cat=c("Attribute category"), name=header.index("Attribute"), definition=c("Short Definition"),
        req=c("Requirements per Regulation"), ref=c("Regulation Reference"), unit=c("Unit of attribute"),
        access=c("Access rights"), dyn=c("Data behavioural characteristic"), gran=c("Granularity level I"))
    attrs = {}
    for r in rows[5:]:
        if len(r) <= idx["num"] or not r[idx["num"]].strip().isdigit():
            continue
        n = int(r[idx["num"]])
        attrs[n] = {k: r[i] for k, i in idx.items()}
    return attrs


def rewrite_refs(node, prefix):
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                assert v.startswith("#/components/schemas/"), v
                out[k] = "#/definitions/" + prefix + "." + v[len("#/components/schemas/"):]
            else:
                out[k] = rewrite_refs(v, prefix)
        return out
    if isinstance(node, list):
        return [rewrite_refs(v, prefix) for v in node]
    return node


def dedupe_enums(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "enum" and isinstance(v, list):
                seen = []
                for x in v:
                    if x not in seen:
                        seen.append(x)
                node[k] = seen
            else:
                dedupe_enums(v)
    elif isinstance(node, list):
        for v in node:
            dedupe_enums(v)


def build_schema():
    definitions = {}
    properties = {}
    for prop, fname in ASPECTS:
        with open(os.path.join(SRC, fname), encoding="utf-8") as f:
            aspect = json.load(f)
        for name, sub in aspect["components"]["schemas"].items():
            definitions[prop + "." + name] = rewrite_refs(sub, prop)
        root = {k: v for k, v in aspect.items() if k not in ("$schema", "components")}
        properties[prop] = rewrite_refs(root, prop)
    schema = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "Battery Pass v1.2 passport data",
        "description": "One property per Battery Pass v1.2 aspect; each is the aspect's schema, definitions prefixed with the aspect name.",
        "type": "object",
        "properties": properties,
        "required": [p for p, _ in ASPECTS],
        "additionalProperties": False,
        "definitions": definitions,
    }
    dedupe_enums(schema)
    return schema


def build_fields(attrs):
    assert sorted(attrs) == list(range(1, 94)), "expected attributes 1..93"
    assert sorted(MAPPING) == list(range(1, 94)), "MAPPING must cover 1..93"
    fields = []
    for n in range(1, 94):
        a = attrs[n]
        pointers, info, ja_label, ja_desc = MAPPING[n]
        access_text = clean(a["access"]).lower()
        access = ACCESS[access_text]
        dynamic = clean(a["dyn"]).lower() == "dynamic"
        gran = GRANULARITY[clean(a["gran"]).lower()]
        en_desc = first_paragraph(a["definition"]) or first_paragraph(a["req"]) or EN_FALLBACK[n]
        unit = UNIT_OVERRIDE.get(n) or UNITS.get(clean(a["unit"]))
        if n in NO_UNIT:
            unit = None
        reg = regulation(a["ref"])
        for p in pointers + EXTRA_POINTERS.get(n, []):
            field = {
                "pointer": p,
                "access": access,
                "information": info,
                "label": {"ja": ja_label, "en": clean(a["name"])},
                "description": {"ja": ja_desc, "en": en_desc},
            }
            if unit:
                field["unit"] = unit
            if reg:
                field["regulation"] = reg
            field["dynamic"] = dynamic
            field["granularity"] = gran
            field["attribute"] = ATTR_PREFIX + str(n)
            if p in SEARCH:
                assert access == "public", p
                field["search"] = SEARCH[p]
            fields.append(field)
    fields.extend(copy.deepcopy(EXTRA_FIELDS))
    fields.sort(key=lambda f: (aspect_order(f["pointer"]), attr_num(f)))
    return fields


def aspect_order(pointer):
    top = pointer.split("/")[1]
    return [p for p, _ in ASPECTS].index(top)


def attr_num(field):
    a = field.get("attribute")
    return int(a.split("#")[1]) if a else 1000


def main():
    attrs = read_longlist()
    profile = {
        "code": "battery",
        "version": "1.2.0",
        "industry": "batteries",
        "name": {"ja": "EV・産業用電池（バッテリーパス v1.2）", "en": "EV and industrial batteries (Battery Pass v1.2)"},
        "description": {
            "ja": "EU電池規則（EU 2023/1542）の電池パスポートに対応するプロファイル。データはBattery Pass v1.2の7つのアスペクト（一般製品情報、カーボンフットプリント、サプライチェーン・デューデリジェンス、材料組成、循環性、性能・耐久性、表示）のスキーマに従い、属性ロングリストv1.2の93属性すべてにアクセス区分を割り当てる。EV用電池、2 kWh超の産業用・定置用電池、LMT用電池が対象。",
            "en": "Profile for the battery passport of the EU Battery Regulation (EU 2023/1542). The data follows the Battery Pass v1.2 schemas of its seven aspects (general product information, carbon footprint, supply chain due diligence, material composition, circularity, performance and durability, labelling), and all 93 attributes of the Battery Pass attribute longlist v1.2 carry their access level. For EV batteries, industrial and stationary batteries above 2 kWh and LMT batteries.",
        },
        "granularities": ["model", "item"],
        "default_access": "owner",
        "schema": build_schema(),
        "fields": build_fields(attrs),
        # Facts shown first on the passport page and in the UNTP export (read from the reader's view).
        "summary": {
            "description": "/MaterialComposition/batteryChemistry/clearName",
            "production_date": "/GeneralProductInformation/manufacturingDate",
            "country_of_production": "/GeneralProductInformation/manufacturingPlace/addressCountry",
            "carbon_footprint": "/CarbonFootprint/batteryCarbonFootprint",
            "mass": "/GeneralProductInformation/batteryMass",
        },
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(profile, f, ensure_ascii=False, indent=2)
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT, ROOT)}: {len(profile['fields'])} fields, "
          f"{len(profile['schema']['definitions'])} definitions", file=sys.stderr)


if __name__ == "__main__":
    main()
