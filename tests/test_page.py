"""The edition's page: the HTML that the executed notebook's code cells display, in order, in
the document template, and nothing else (no code, markdown, streams, errors or prompts)."""
from analysis.publication.publish import notebook_html

NOTEBOOK = {"cells": [
    {"cell_type": "markdown", "source": "# A heading that only the notebook shows", "metadata": {}},
    {"cell_type": "code", "source": "report.title_page()", "metadata": {}, "outputs": [
        {"output_type": "stream", "name": "stdout", "text": "printed text"},
        {"output_type": "display_data", "metadata": {},
         "data": {"text/plain": "<Report>", "text/html": ["<header>", "Tiêu đề & ý</header>"]}},
    ]},
    {"cell_type": "raw", "source": "<p>raw cell</p>", "metadata": {}},
    {"cell_type": "code", "source": "1 + 1", "metadata": {}, "outputs": [
        {"output_type": "execute_result", "metadata": {}, "execution_count": 2,
         "data": {"text/plain": "2"}},
        {"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["Traceback line"]},
        {"output_type": "execute_result", "metadata": {}, "execution_count": 2,
         "data": {"text/html": "<section>Phần 1</section>"}},
    ]},
]}


def test_the_page_is_the_displayed_html_in_order_and_nothing_else():
    en, pdf = notebook_html(NOTEBOOK, "vi", "Báo cáo <2024> & \"PAPI\"", ["p{}", "@page{}"],
                            {"author": "A & B", "description": "", "keywords": "k"})
    body = en[en.index("<body>"):]
    assert body == "<body>\n<main><header>Tiêu đề & ý</header><section>Phần 1</section></main>\n</body>\n</html>"
    for hidden in ("heading", "printed", "raw cell", "report.title_page", "Traceback", "<Report>"):
        assert hidden not in en
    assert '<html lang="vi">' in en
    assert "<title>Báo cáo &lt;2024&gt; &amp; &#34;PAPI&#34;</title>" in en
    assert '<meta name="author" content="A &amp; B">' in en and 'name="keywords" content="k"' in en
    assert 'name="description"' not in en   # an empty one is left out
    assert "<style>\np{}\n</style>" in en and "<style>\n@page{}\n</style>" in pdf
    assert en.replace("p{}", "@page{}") == pdf   # one page per stylesheet, otherwise the same
