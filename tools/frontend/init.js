// Marks the page as able to run GOV.UK Frontend, then starts its components (error summaries,
// radios that reveal a part, the exit-this-page button). A page without it still works.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
