"""PAPI's sub-dimensions in dataset.yaml checked against the codebook copied into the project
(data/papi-provinces/sources/papi_subdimension_codebook.csv): the same codes under the same
dimension, present in the years the codebook gives, and Vietnamese labels written in full (NFC,
with their diacritics) in PAPI's own terms."""
import unicodedata

import pandas as pd
import pytest

from analysis.inputs.dataset import load_dataset
from analysis.paths import DATA

PAPI = DATA / "papi-provinces"
# the codebook's dimension names → the component codes of dataset.yaml
DIMENSIONS = {"Participation": "participation",
              "Transparency of Local Decision-making": "transparency",
              "Vertical Accountability": "vertical_accountability",
              "Control of Corruption in the Public Sector": "control_of_corruption",
              "Public Administrative Procedures": "public_admin_procedures",
              "Public Service Delivery": "public_service_delivery",
              "Environmental Governance": "environmental_governance",
              "E-Governance": "e_governance"}
# codebook name (2018 onwards) → the Vietnamese label, checked for meaning and spelling
VI_2018 = {"SC11": "Tri thức công dân", "SC12": "Cơ hội tham gia", "SC13": "Chất lượng bầu cử",
           "SC14": "Đóng góp tự nguyện", "SC21": "Tiếp cận thông tin",
           "SC22": "Công khai danh sách hộ nghèo", "SC23": "Công khai ngân sách cấp xã",
           "SC24": "Công khai quy hoạch, kế hoạch sử dụng đất và khung giá đền bù",
           "SC31": "Tương tác với chính quyền địa phương",
           "SC32": "Giải đáp khiếu nại, tố cáo, khúc mắc của người dân",
           "SC33": "Tiếp cận dịch vụ tư pháp",
           "SC41": "Kiểm soát tham nhũng trong chính quyền địa phương",
           "SC42": "Kiểm soát tham nhũng trong cung ứng dịch vụ công",
           "SC43": "Công bằng trong tuyển dụng vào khu vực nhà nước",
           "SC44": "Quyết tâm chống tham nhũng", "SC51": "Dịch vụ chứng thực, xác nhận",
           "SC52": "Thủ tục cấp phép xây dựng",
           "SC53": "Thủ tục cấp giấy chứng nhận quyền sử dụng đất",
           "SC54": "Thủ tục hành chính cấp xã/phường", "SC61": "Y tế công lập",
           "SC62": "Giáo dục tiểu học công lập", "SC63": "Cơ sở hạ tầng căn bản",
           "SC64": "An ninh, trật tự khu dân cư",
           "SC71": "Mức độ nghiêm túc trong bảo vệ môi trường", "SC72": "Chất lượng không khí",
           "SC73": "Chất lượng nước",
           "SC81": "Sử dụng cổng thông tin điện tử của chính quyền địa phương",
           "SC82": "Tiếp cận và sử dụng Internet",
           "SC83": "Phúc đáp của chính quyền qua cổng thông tin điện tử"}


@pytest.fixture(scope="module")
def papi():
    return load_dataset(PAPI)


@pytest.fixture(scope="module")
def codebook():
    return pd.read_csv(PAPI / "sources" / "papi_subdimension_codebook.csv", dtype=str)


def test_the_2018_version_has_the_codebooks_sub_dimensions_under_its_dimensions(papi, codebook):
    subs = {s["code"]: s for s in papi.config.method(2024)["subcomponents"]}
    assert sorted(subs) == sorted(codebook["code"])
    for row in codebook.itertuples():
        assert subs[row.code]["parent"] == DIMENSIONS[row.dimension], row.code


def test_the_2011_version_has_the_codebooks_sub_dimensions_present_before_2018(papi, codebook):
    first = codebook["years_present"].str[:4].astype(int)
    subs = {s["code"] for s in papi.config.method(2016)["subcomponents"]}
    assert subs == set(codebook.loc[first < 2018, "code"])   # SC24, SC7x, SC8x from 2018 only


def test_vietnamese_labels_are_the_checked_ones_in_nfc(papi):
    subs = {s["code"]: s["label_vi"] for s in papi.config.method(2024)["subcomponents"]}
    assert subs == VI_2018
    for version in papi.config.versions:
        for item in version["components"] + version["subcomponents"]:
            label = item["label_vi"]
            assert unicodedata.is_normalized("NFC", label), label
            assert label[0].isupper() and "  " not in label, label
