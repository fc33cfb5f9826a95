"""The chat's stylesheet: passages, answers, source links, and Vietnamese over Streamlit's own chrome.

Streamlit has no translations. ``.streamlit/config.toml`` sets ``client.toolbarMode = "minimal"``
(no developer menu); what is left in English (the file uploader's texts, the running indicator's
"Stop") is hidden or replaced here by CSS. The layout holds at 390 px (a phone held upright).
"""

CSS = """
<style>
html { -webkit-text-size-adjust: 100%; }
.tc-passage, .tc-document {
  white-space: pre-wrap; line-height: 1.55; font-size: 0.95rem; overflow-wrap: anywhere;
  border-left: 3px solid #d0d7de; padding: 0.4rem 0.8rem; margin: 0.2rem 0 0.6rem 0;
}
.tc-document { max-height: 65vh; overflow-y: auto; border: 1px solid #d0d7de; border-radius: 6px; }
.tc-passage mark, .tc-document mark {
  background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px;
}
.tc-document mark[id], .tc-document .tc-sec { scroll-margin-top: 6rem; }
.tc-path { color: #57606a; font-size: 0.85rem; margin-bottom: 0.2rem; }
.tc-where { color: #57606a; font-size: 0.85rem; }
.tc-ellipsis { color: #8c959f; }
.tc-answer { line-height: 1.6; overflow-wrap: anywhere; }
.tc-answer p { margin: 0 0 0.5rem 0; }
.tc-answer ul { margin: 0 0 0.6rem 0; padding-left: 1.3rem; }
.tc-answer li { margin-bottom: 0.25rem; }
.tc-answer .tc-group { font-weight: 600; margin-top: 0.6rem; }
a.tc-cite {
  display: inline-block; font-size: 0.8rem; font-weight: 600; line-height: 1.2;
  padding: 0 0.3rem; margin: 0 0.1rem; border-radius: 0.6rem;
  background: #e7f0fe; color: #0b57d0; text-decoration: none; vertical-align: baseline;
}
a.tc-cite:hover, a.tc-cite:focus { background: #0b57d0; color: #fff; outline: none; }
details.tc-flash { outline: 2px solid #0b57d0; outline-offset: 2px; border-radius: 0.5rem; }
.tc-stats { display: flex; flex-wrap: wrap; gap: 0.5rem; margin: 0.3rem 0 0.8rem 0; }
.tc-stat { border: 1px solid #d0d7de; border-radius: 0.5rem; padding: 0.4rem 0.7rem; min-width: 7rem; }
.tc-stat b { display: block; font-size: 1.3rem; }
.tc-toc a { text-decoration: none; }
table.tc-meta { border-collapse: collapse; margin: 0.2rem 0 0.8rem 0; }
table.tc-meta th {
  text-align: left; vertical-align: top; white-space: nowrap; padding: 0.15rem 1rem 0.15rem 0;
  color: #57606a; font-weight: 600; }
table.tc-meta td { padding: 0.15rem 0; overflow-wrap: anywhere; }
.tc-toc ul { padding-left: 1rem; margin: 0; }
/* Streamlit's chrome in Vietnamese: the file uploader's English is hidden (no space, not visible, not
   read out) and Vietnamese drawn in its place; the running indicator keeps no English "Stop". */
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p,
[data-testid="stFileUploaderDropzoneInstructions"] span {
  font-size: 0; visibility: hidden;
}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "Chọn tệp"; font-size: 0.875rem; visibility: visible;
}
[data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: "Kéo thả tệp vào đây · tối đa 200 MB mỗi tệp"; font-size: 0.8rem; visibility: visible;
}
[data-testid="stStatusWidget"] { visibility: hidden; } /* "Running… Stop": the app says "Đang tìm…" itself */
[data-testid="stAppDeployButton"], [data-testid="stMainMenu"], footer { display: none; }
@media (max-width: 480px) {
  .block-container, [data-testid="stMainBlockContainer"] { padding-left: 0.8rem; padding-right: 0.8rem; }
  .tc-passage, .tc-document { padding: 0.3rem 0.5rem; font-size: 0.9rem; }
  .tc-stat { min-width: 0; flex: 1 1 40%; }
  table.tc-meta th { white-space: normal; padding-right: 0.5rem; }
}
</style>
"""
