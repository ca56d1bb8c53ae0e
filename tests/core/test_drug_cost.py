"""Drug cost per administration, worked by hand from NICE list prices (domain guide §5)."""

import pytest
from numpy.testing import assert_allclose

from appraisal_impact.core.drug_cost import (
    Dose,
    DoseBasis,
    OralPack,
    Pack,
    PatientSize,
    administration_cost,
    cheapest_pack_combination,
    dose_mg,
    oral_cost_per_cycle,
)

NIVOLUMAB = (Pack(40, 439.0), Pack(100, 1097.0), Pack(240, 2633.0))  # NICE TA736


def counts(combination):
    return {pack.size_mg: count for pack, count in combination.packs}


def test_nivolumab_480_mg_is_two_240_vials():
    combination = cheapest_pack_combination(480, NIVOLUMAB)
    assert counts(combination) == {240: 2}
    assert_allclose(combination.cost, 5266.0)


def test_nivolumab_240_mg_is_one_vial():
    assert_allclose(cheapest_pack_combination(240, NIVOLUMAB).cost, 2633.0)


def test_trastuzumab_deruxtecan_378_mg_is_four_100_mg_vials():
    # 5.4 mg/kg × 70 kg = 378 mg; 4 × £1,455 = £5,820 (NICE TA992)
    result = administration_cost(Dose(5.4, DoseBasis.PER_KG), [Pack(100, 1455.0)])
    assert_allclose(result.dose_mg, 378.0)
    assert counts(result.combination) == {100: 4}
    assert_allclose(result.cost, 5820.0)
    assert_allclose(result.mg_wasted, 22.0)
    assert result.patient_size.weight_kg == 70


def test_a_mix_of_sizes_beats_any_single_size():
    # 150 mg from 50 mg £600 and 100 mg £1,000: 100 + 50 = £1,600;
    # 2 × 100 = £2,000; 3 × 50 = £1,800
    combination = cheapest_pack_combination(150, [Pack(50, 600.0), Pack(100, 1000.0)])
    assert counts(combination) == {50: 1, 100: 1}
    assert_allclose(combination.cost, 1600.0)


def test_nivolumab_340_mg_mix():
    # 240 + 100 = £3,730 (340 mg); 3 × 100 + 40 is also £3,730 and 340 mg but 4 vials;
    # 2 × 240 = £5,266; 4 × 100 = £4,388; 9 × 40 = £3,951; 240 + 3 × 40 = £3,950
    combination = cheapest_pack_combination(340, NIVOLUMAB)
    assert_allclose(combination.cost, 3730.0)
    assert counts(combination) == {100: 1, 240: 1}


def test_exact_mg_uses_cheapest_price_per_mg():
    # £/mg: 439/40 = 10.975, 1097/100 = 10.97, 2633/240 = 10.9708 → 480 × 10.97 = £5,265.60
    result = administration_cost(Dose(480), NIVOLUMAB, wastage="exact mg")
    assert_allclose(result.cost, 5265.60)
    assert result.mg_wasted == 0


def test_per_m2_and_dose_cap():
    assert_allclose(dose_mg(Dose(100, DoseBasis.PER_M2)), 180.0)  # × 1.8 m²
    assert_allclose(dose_mg(Dose(100, DoseBasis.PER_M2), PatientSize(body_surface_area_m2=2.0)), 200.0)
    # enfortumab vedotin 1.25 mg/kg, max 125 mg: 110 kg → 137.5 capped to 125; 70 kg → 87.5
    assert_allclose(dose_mg(Dose(1.25, DoseBasis.PER_KG, max_mg=125), PatientSize(weight_kg=110)), 125.0)
    assert_allclose(dose_mg(Dose(1.25, DoseBasis.PER_KG, max_mg=125)), 87.5)


def test_vat_adds_twenty_percent():
    result = administration_cost(Dose(480), NIVOLUMAB, include_vat=True)
    assert_allclose(result.cost, 6319.20)  # 5,266 × 1.2
    assert result.vat_included


def test_oral_cost_per_cycle_pro_rata():
    # osimertinib £5,770 per 30 tablets, 1 a day, 28-day cycle: 28/30 × 5,770
    assert_allclose(oral_cost_per_cycle(OralPack(30, 5770.0), units_per_day=1, cycle_length_days=28), 5385.3333, atol=1e-3)


def test_fractional_doses_and_sizes():
    # 87.5 mg from 20 mg £200 and 30 mg £290: 90 mg = 3 × 30 (£870) or 30 + 3 × 20 (£890)
    combination = cheapest_pack_combination(87.5, [Pack(20, 200.0), Pack(30, 290.0)])
    assert_allclose(combination.cost, 870.0)


def test_no_packs_is_an_error():
    with pytest.raises(ValueError):
        cheapest_pack_combination(100, [])
