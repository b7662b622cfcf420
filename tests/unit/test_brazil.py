from datetime import date

import pytest

from loyalty_datagen.brazil import cnpj, cpf_digits, cpf_is_valid, format_cpf, national_holidays


@pytest.mark.parametrize("cpf", ["52998224725", "11144477735", "93541134780"])
def test_known_valid_cpfs(cpf):
    assert cpf_is_valid(cpf)
    assert cpf_digits(int(cpf[:9])) == cpf


@pytest.mark.parametrize("cpf", ["52998224726", "11111111111", "5299822472", "5299822472a", ""])
def test_invalid_cpfs(cpf):
    assert not cpf_is_valid(cpf)


def test_format_cpf():
    assert format_cpf("52998224725") == "529.982.247-25"


def test_cnpj_has_valid_check_digits():
    # 11.222.333/0001-81 is the classic valid example
    assert cnpj(112223330001) == "11.222.333/0001-81"


def test_holidays_follow_easter():
    days = dict(national_holidays(2024))
    assert days[date(2024, 3, 29)] == "Sexta-feira Santa"  # Easter 2024 was 31 March
    assert date(2024, 11, 20) in days  # national since 2024
    assert date(2023, 11, 20) not in dict(national_holidays(2023))
