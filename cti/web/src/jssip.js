// The entry of the JsSIP bundle the desktop's softphone loads (/static/jssip.js): JsSIP's
// CommonJS build re-exported as one ES module, so the page imports it without a loader.
import JsSIP from "jssip";

export default JsSIP;
