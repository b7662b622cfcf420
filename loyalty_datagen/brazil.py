"""Brazilian reference data the generator needs: names, cities, documents, holidays.

Documents (CPF, CNPJ) get real check digits so that staging's validation has something to
reject only when the generator breaks them on purpose.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

FIRST_NAMES = [
    "Ana", "Maria", "Juliana", "Fernanda", "Camila", "Beatriz", "Larissa", "Patrícia",
    "Aline", "Bruna", "Gabriela", "Letícia", "Mariana", "Renata", "Vanessa", "Luciana",
    "João", "José", "Carlos", "Paulo", "Lucas", "Pedro", "Gabriel", "Rafael", "Marcos",
    "Felipe", "Bruno", "Rodrigo", "Thiago", "André", "Gustavo", "Eduardo", "Daniel",
    "Luiz", "Matheus", "Vinícius", "Antônio", "Francisco", "Raimunda", "Sebastião",
]  # fmt: skip
LAST_NAMES = [
    "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira",
    "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes",
    "Soares", "Fernandes", "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento", "Andrade",
    "Moreira", "Nunes", "Marques", "Machado", "Mendes", "Freitas", "Cardoso", "Ramos",
]  # fmt: skip
EMAIL_DOMAINS = ["gmail.com", "hotmail.com", "outlook.com", "yahoo.com.br", "uol.com.br",
                 "bol.com.br", "terra.com.br", "icloud.com"]  # fmt: skip

# (city, UF, relative population weight, phone area code)
CITIES = [
    ("São Paulo", "SP", 22, "11"), ("Campinas", "SP", 5, "19"), ("Santos", "SP", 3, "13"),
    ("Rio de Janeiro", "RJ", 13, "21"), ("Niterói", "RJ", 3, "21"),
    ("Belo Horizonte", "MG", 7, "31"), ("Uberlândia", "MG", 3, "34"),
    ("Curitiba", "PR", 5, "41"), ("Londrina", "PR", 2, "43"),
    ("Porto Alegre", "RS", 5, "51"), ("Florianópolis", "SC", 3, "48"),
    ("Salvador", "BA", 6, "71"), ("Recife", "PE", 5, "81"), ("Fortaleza", "CE", 5, "85"),
    ("Brasília", "DF", 6, "61"), ("Goiânia", "GO", 4, "62"), ("Manaus", "AM", 3, "92"),
    ("Belém", "PA", 3, "91"),
]  # fmt: skip


def _check_digit(digits: list[int], weights: range) -> int:
    remainder = sum(d * w for d, w in zip(digits, weights, strict=False)) % 11
    return 0 if remainder < 2 else 11 - remainder


def cpf_digits(base9: int) -> str:
    """An 11-digit CPF with valid check digits from a 9-digit base number."""
    digits = [int(c) for c in f"{base9:09d}"]
    digits.append(_check_digit(digits, range(10, 1, -1)))
    digits.append(_check_digit(digits, range(11, 1, -1)))
    return "".join(map(str, digits))


def cpf_is_valid(cpf: str) -> bool:
    """Mirror of the SQL macro, used by tests to check the generator's own output."""
    if len(cpf) != 11 or not cpf.isdigit() or len(set(cpf)) == 1:
        return False
    return cpf == cpf_digits(int(cpf[:9]))


def format_cpf(cpf: str) -> str:
    return f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"


def cnpj(base12: int) -> str:
    """A formatted CNPJ with valid check digits."""
    digits = [int(c) for c in f"{base12:012d}"]
    w1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    d1 = sum(d * w for d, w in zip(digits, w1, strict=True)) % 11
    digits.append(0 if d1 < 2 else 11 - d1)
    w2 = [6, *w1]
    d2 = sum(d * w for d, w in zip(digits, w2, strict=True)) % 11
    digits.append(0 if d2 < 2 else 11 - d2)
    s = "".join(map(str, digits))
    return f"{s[:2]}.{s[2:5]}.{s[5:8]}/{s[8:12]}-{s[12:]}"


def _easter(year: int) -> date:
    """Anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ll = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ll) // 451
    month, day = divmod(h + ll - 7 * m + 114, 31)
    return date(year, month, day + 1)


def national_holidays(year: int) -> list[tuple[date, str]]:
    """Brazil's national holidays (Lei 662/1949 and later laws) plus the nationwide
    optional days that shut commerce (Carnival, Corpus Christi)."""
    easter = _easter(year)
    days = [
        (date(year, 1, 1), "Confraternização Universal"),
        (easter - timedelta(days=48), "Carnaval (segunda-feira)"),
        (easter - timedelta(days=47), "Carnaval (terça-feira)"),
        (easter - timedelta(days=2), "Sexta-feira Santa"),
        (date(year, 4, 21), "Tiradentes"),
        (date(year, 5, 1), "Dia do Trabalho"),
        (easter + timedelta(days=60), "Corpus Christi"),
        (date(year, 9, 7), "Independência do Brasil"),
        (date(year, 10, 12), "Nossa Senhora Aparecida"),
        (date(year, 11, 2), "Finados"),
        (date(year, 11, 15), "Proclamação da República"),
        (date(year, 12, 25), "Natal"),
    ]
    if year >= 2024:  # Lei 14.759/2023 made Black Consciousness Day national.
        days.append((date(year, 11, 20), "Dia Nacional de Zumbi e da Consciência Negra"))
    return sorted(days)


def phone(rng: np.random.Generator, area: str) -> str:
    """Mobile number in one of the formats real forms accept."""
    number = f"9{rng.integers(1000, 9999)}{rng.integers(1000, 9999)}"
    style = rng.integers(0, 3)
    if style == 0:
        return f"({area}) {number[:5]}-{number[5:]}"
    if style == 1:
        return f"+55 {area} {number}"
    return f"{area}{number}"
