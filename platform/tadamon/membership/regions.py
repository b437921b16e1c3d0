"""Morocco's twelve regions (2015 division), named in Arabic, French and English."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import get_locale


@dataclass(frozen=True)
class Region:
    code: str
    ar: str
    fr: str
    en: str

    def name(self, language: str | None = None) -> str:
        language = language or (get_locale().language if get_locale() else "ar")
        return getattr(self, language, self.fr)


REGIONS: tuple[Region, ...] = (
    Region("TTA", "طنجة - تطوان - الحسيمة", "Tanger-Tétouan-Al Hoceïma", "Tangier-Tetouan-Al Hoceima"),
    Region("ORI", "جهة الشرق", "L'Oriental", "Oriental"),
    Region("FME", "فاس - مكناس", "Fès-Meknès", "Fez-Meknes"),
    Region("RSK", "الرباط - سلا - القنيطرة", "Rabat-Salé-Kénitra", "Rabat-Sale-Kenitra"),
    Region("BMK", "بني ملال - خنيفرة", "Béni Mellal-Khénifra", "Beni Mellal-Khenifra"),
    Region("CAS", "الدار البيضاء - سطات", "Casablanca-Settat", "Casablanca-Settat"),
    Region("MSA", "مراكش - آسفي", "Marrakech-Safi", "Marrakesh-Safi"),
    Region("DTA", "درعة - تافيلالت", "Drâa-Tafilalet", "Draa-Tafilalet"),
    Region("SMA", "سوس - ماسة", "Souss-Massa", "Souss-Massa"),
    Region("GON", "كلميم - واد نون", "Guelmim-Oued Noun", "Guelmim-Oued Noun"),
    Region("LSH", "العيون - الساقية الحمراء", "Laâyoune-Sakia El Hamra", "Laayoune-Sakia El Hamra"),
    Region("DOE", "الداخلة - وادي الذهب", "Dakhla-Oued Ed-Dahab", "Dakhla-Oued Ed-Dahab"),
)
REGIONS_BY_CODE = {region.code: region for region in REGIONS}
REGION_CODES = tuple(REGIONS_BY_CODE)
