"""The home page answers, as a whole HTML page in the default language (Arabic, right to left)."""


def test_home_page_answers(app):
    response = app.test_client().get("/", headers={"Accept-Language": "ar"})
    assert response.status_code == 200
    assert response.content_type.startswith("text/html")
    body = response.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in body and body.rstrip().endswith("</html>")
