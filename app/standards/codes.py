"""Code tables of the application form (附件2, SPEC §2): ``{code: 中文 label}``.

National standards where one exists (GB/T 2261.1, GB/T 3304, GB/T 4761-2008); the form's own
choices otherwise, keyed by the API codes of SPEC §2. Views and messages show the labels.
"""
from __future__ import annotations

#: GB/T 2261.1-2003 human sexes (人的性别代码), the whole table.
GENDERS = {"0": "未知的性别", "1": "男", "2": "女", "9": "未说明的性别"}
#: The genders the form accepts: the deceased's ID number always states 1 or 2.
FORM_GENDERS = {code: GENDERS[code] for code in ("1", "2")}

#: GB/T 3304-1991 names of ethnic groups (中国各民族名称的罗马字母拼写法和代码), numeric codes.
ETHNICITIES = {
    "01": "汉族", "02": "蒙古族", "03": "回族", "04": "藏族", "05": "维吾尔族",
    "06": "苗族", "07": "彝族", "08": "壮族", "09": "布依族", "10": "朝鲜族",
    "11": "满族", "12": "侗族", "13": "瑶族", "14": "白族", "15": "土家族",
    "16": "哈尼族", "17": "哈萨克族", "18": "傣族", "19": "黎族", "20": "傈僳族",
    "21": "佤族", "22": "畲族", "23": "高山族", "24": "拉祜族", "25": "水族",
    "26": "东乡族", "27": "纳西族", "28": "景颇族", "29": "柯尔克孜族", "30": "土族",
    "31": "达斡尔族", "32": "仫佬族", "33": "羌族", "34": "布朗族", "35": "撒拉族",
    "36": "毛南族", "37": "仡佬族", "38": "锡伯族", "39": "阿昌族", "40": "普米族",
    "41": "塔吉克族", "42": "怒族", "43": "乌孜别克族", "44": "俄罗斯族", "45": "鄂温克族",
    "46": "德昂族", "47": "保安族", "48": "裕固族", "49": "京族", "50": "塔塔尔族",
    "51": "独龙族", "52": "鄂伦春族", "53": "赫哲族", "54": "门巴族", "55": "珞巴族",
    "56": "基诺族", "97": "其他", "98": "外国血统中国籍人士",
}

#: GB/T 4761-2008 family relationships (家庭关系代码), the whole table. On the form the code is
#: the applicant's relation *to the deceased* (SPEC §2).
RELATIONSHIPS = {
    "01": "本人", "02": "户主",
    "10": "配偶", "11": "夫", "12": "妻",
    "20": "子", "21": "独生子", "22": "长子", "23": "次子", "24": "三子", "25": "四子",
    "26": "五子", "27": "养子或继子", "28": "女婿", "29": "其他儿子",
    "30": "女", "31": "独生女", "32": "长女", "33": "次女", "34": "三女", "35": "四女",
    "36": "五女", "37": "养女或继女", "38": "儿媳", "39": "其他女儿",
    "40": "孙子、孙女或外孙子、外孙女", "41": "孙子", "42": "孙女", "43": "外孙子",
    "44": "外孙女", "45": "孙媳妇或外孙媳妇", "46": "孙女婿或外孙女婿",
    "47": "曾孙子或外曾孙子", "48": "曾孙女或外曾孙女",
    "49": "其他孙子、孙女或外孙子、外孙女",
    "50": "父母", "51": "父亲", "52": "母亲", "53": "公公", "54": "婆婆", "55": "岳父",
    "56": "岳母", "57": "继父或养父", "58": "继母或养母", "59": "其他父母关系",
    "60": "祖父母或外祖父母", "61": "祖父", "62": "祖母", "63": "外祖父", "64": "外祖母",
    "65": "配偶的祖父母或外祖父母", "66": "曾祖父", "67": "曾祖母",
    "68": "配偶的曾祖父母或外曾祖父母", "69": "其他祖父母或外祖父母关系",
    "70": "兄弟姐妹", "71": "兄", "72": "嫂", "73": "弟", "74": "弟媳", "75": "姐姐",
    "76": "姐夫", "77": "妹妹", "78": "妹夫", "79": "其他兄弟姐妹",
    "80": "其他", "81": "伯父", "82": "伯母", "83": "叔父", "84": "婶母", "85": "舅父",
    "86": "舅母", "87": "姨父", "88": "姨母", "89": "姑父", "90": "姑母",
    "91": "堂兄弟、堂姐妹", "92": "表兄弟、表姐妹", "93": "侄子", "94": "侄女", "95": "外甥",
    "96": "外甥女", "97": "其他亲属", "99": "非亲属",
}
#: 99 非亲属: the applicant is a 特定关系人 and must say on what basis (SPEC §2).
NON_RELATIVE = "99"
#: Relations the form accepts: not 01 本人 (the applicant cannot be the deceased) nor 02 户主
#: (it says nothing about how the applicant is related).
APPLICANT_RELATIONSHIPS = {
    code: label for code, label in RELATIONSHIPS.items() if code not in {"01", "02"}
}

#: 死亡人员享受福利、补贴待遇情况 (附件2); an empty list means 都不是.
WELFARE = {
    "dibao": "低保",
    "tekun": "特困",
    "elderly_subsidy": "老年人福利",
    "disability_living_subsidy": "困难残疾人生活补贴",
    "severe_disability_care_subsidy": "重度残疾人护理补贴",
}
#: 死亡人员亡故前工作状态 (附件2).
EMPLOYMENT_STATUSES = {"employed": "在职", "retired": "退休", "none": "都不是"}
#: 死亡人员医保参保类型 (附件2).
MEDICAL_INSURANCE = {
    "employee": "城镇职工医疗保险",
    "resident": "城乡居民基本医疗保险",
    "none": "未参保",
}
#: 死亡人员养老保险参保类型 (附件2).
PENSION_INSURANCE = {
    "resident": "城乡居民养老保险",
    "enterprise_employee": "城镇企业职工养老保险（含灵活就业）",
    "none": "未参保",
}
#: 死亡人员其他参保类型 (附件2); an empty list means neither.
OTHER_INSURANCE = {"work_injury": "工伤保险", "unemployment": "失业保险"}
#: 亡故原因 category: it decides which death certificate applies (SPEC §3).
DEATH_CAUSE_CATEGORIES = {"normal": "正常死亡", "abnormal": "非正常死亡"}
#: Kind of 死亡人员身故所在地: a medical institution issues the death certificate itself.
PLACE_OF_DEATH_KINDS = {"medical_institution": "医疗机构", "home": "家中", "other": "其他地点"}
